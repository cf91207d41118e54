package io.chunkfs;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The dependency rule of ARCHITECTURE.md, checked on the compiled main classes: the CLI sits on the FUSE
 * adapter and the store; the FUSE adapter sees the store core only, never a backend; the store core knows no
 * backend, no FUSE and no CLI; a backend knows the core and nothing above it. Native calls (jnr-ffi, jnr-fuse)
 * stay in the FUSE adapter, the local backend and the CLI's process set-up; jnr-constants, a plain table of
 * errno names, may be used anywhere.
 */
class ArchitectureTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
            .importPackages("io.chunkfs");

    @Test
    void layersDependOnlyDownwards() {
        layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .layer("cli")
                .definedBy("io.chunkfs.cli..")
                .layer("fuse")
                .definedBy("io.chunkfs.fuse..")
                .layer("opening")
                .definedBy("io.chunkfs")
                .layer("backend")
                .definedBy("io.chunkfs.store.local..", "io.chunkfs.store.s3..", "io.chunkfs.store.sql..")
                .layer("core")
                .definedBy("io.chunkfs.store")
                .whereLayer("cli")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("fuse")
                .mayOnlyBeAccessedByLayers("cli")
                .whereLayer("opening")
                .mayOnlyBeAccessedByLayers("cli")
                .whereLayer("backend")
                .mayOnlyBeAccessedByLayers("opening")
                .whereLayer("core")
                .mayOnlyBeAccessedByLayers("cli", "fuse", "opening", "backend")
                .check(MAIN);
    }

    /** Nothing above the seam learns that chunks may live in S3: only the opener and the backend use its SDK. */
    @Test
    void onlyTheS3BackendUsesTheAwsSdk() {
        noClasses()
                .that()
                .resideOutsideOfPackages("io.chunkfs.store.s3..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("software.amazon..")
                .check(MAIN);
    }

    @Test
    void packagesHaveNoCycles() {
        slices().matching("io.chunkfs.(**)").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void onlyTheFuseAdapterAndTheLocalBackendTouchNativeBindings() {
        noClasses()
                .that()
                .resideOutsideOfPackages("io.chunkfs.fuse..", "io.chunkfs.store.local..", "io.chunkfs.cli..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("jnr.ffi..", "jnr.posix..", "ru.serce.jnrfuse..")
                .check(MAIN);
    }

    /**
     * Inside the FUSE adapter, jnr-fuse's types stay in the dispatcher and the ABI class (plus the process set-up's
     * resource limit, and Errno's constants): node handlers, open handles and the incoming-file state machine are plain Java, so unit
     * tests play them without a kernel.
     */
    @Test
    void onlyTheDispatcherAndTheAbiClassSeeJnrFuse() {
        noClasses()
                .that()
                .resideInAPackage("io.chunkfs.fuse")
                .and()
                // Errno takes errno numbers from jnr-fuse's ErrorCodes: constants, no native call.
                .haveNameNotMatching(
                        "io\\.chunkfs\\.fuse\\.(ChunkFs|FuseAbi|PathCallbacks|DirectoryFiller|DescriptorLimit|Errno)(\\$.*)?")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("jnr.ffi..", "ru.serce.jnrfuse..")
                .check(MAIN);
    }
}
