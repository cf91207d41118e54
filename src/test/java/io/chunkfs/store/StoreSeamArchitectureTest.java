package io.chunkfs.store;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The backend seam as a dependency rule: the store's core knows no backend (nor the layers above it), and the
 * layers above the store reach chunks only through the core, never through the local backend.
 */
class StoreSeamArchitectureTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.chunkfs");

    @Test
    void theCoreDependsOnNoBackendAndNoLayerAboveIt() {
        noClasses()
                .that()
                .resideInAPackage("io.chunkfs.store")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.chunkfs.store.local..", "io.chunkfs.fuse..", "io.chunkfs.cli..")
                .check(MAIN);
    }

    @Test
    void theFuseAndCliLayersNeverReachTheLocalBackend() {
        noClasses()
                .that()
                .resideInAnyPackage("io.chunkfs.fuse..", "io.chunkfs.cli..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("io.chunkfs.store.local..")
                .check(MAIN);
    }

    @Test
    void theLocalBackendKnowsNothingAboveTheStore() {
        noClasses()
                .that()
                .resideInAPackage("io.chunkfs.store.local..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.chunkfs.fuse..", "io.chunkfs.cli..")
                .check(MAIN);
    }
}
