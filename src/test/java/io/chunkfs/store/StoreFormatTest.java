package io.chunkfs.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The version rule of the marker {@code .chunkfs}: see {@link StoreFormat}. */
class StoreFormatTest {
    @TempDir
    Path dir;

    @Test
    void aNewerFormatIsRefusedInOneLineThatNamesBothVersionsAndSaysUpgrade() throws Exception {
        Path root = store();
        byte[] newer = "chunkfs-store 4\nbackend=s3\n".getBytes(UTF_8);
        Files.write(root.resolve(".chunkfs"), newer);

        StoreException error =
                assertThrows(StoreException.class, () -> Stores.open(root).close());
        assertEquals(
                "the store " + root + " has format version 4, newer than this chunkfs reads (version 3 and earlier):"
                        + " upgrade chunkfs to use it",
                error.getMessage());
        assertEquals(
                error.getMessage(),
                assertThrows(StoreException.class, () -> Stores.init(root)).getMessage());
        assertArrayEquals(newer, Files.readAllBytes(root.resolve(".chunkfs")), "a newer marker is never rewritten");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "hello",
                "chunkfs-store",
                "chunkfs-store 0",
                "chunkfs-store 01",
                "chunkfs-store -1",
                "chunkfs-store 1 beta",
                "chunkfs-store 99999999999",
                "Chunkfs-Store 1",
                "\u0000\u0001binary\u00ff"
            })
    void aMarkerThatIsNotAFormatLineIsRefusedInOneLineSayingWhatWasFound(String marker) {
        String message = parseRefusal(marker + "\n");
        assertTrue(message.startsWith(dir + " has an unknown store format '"), message);
        assertTrue(message.endsWith("(this version of chunkfs reads 'chunkfs-store 1' to 'chunkfs-store 3')"), message);
        assertFalse(message.contains("\n") || message.contains("\u0000"), message);
    }

    @ParameterizedTest
    @ValueSource(strings = {"chunkfs-store 1\nnot a property", "chunkfs-store 1\na=1\na=2", "chunkfs-store 1\n=x"})
    void version1WithALineThatIsNotANewPropertyIsRefused(String marker) {
        String message = parseRefusal(marker);
        assertTrue(message.contains("unknown store format: its .chunkfs file has a line that is not"), message);
        assertFalse(message.contains("\n"), message);
    }

    @Test
    void version2NamesItsBackendAndAnS3StoreWithoutItsBucketIsRefusedInOneLine() throws Exception {
        Path root = store();
        Files.writeString(root.resolve(".chunkfs"), "chunkfs-store 2\nbackend=s3\n");
        assertEquals("the store " + root + " is an S3 store without 's3.bucket' in its .chunkfs", refusal(root));
        Files.writeString(root.resolve(".chunkfs"), "chunkfs-store 2\nbackend=tape\n");
        assertEquals(
                "the store " + root + " keeps its chunks in 'tape', which this chunkfs does not know: upgrade chunkfs"
                        + " to use it",
                refusal(root));
        assertEquals("chunkfs-store 2\nbackend=tape\n", Files.readString(root.resolve(".chunkfs")), "left alone");
        java.util.Map<String, String> properties = new java.util.LinkedHashMap<>();
        properties.put("backend", "s3");
        properties.put("s3.bucket", "b");
        assertEquals("chunkfs-store 3\nbackend=s3\ns3.bucket=b\n", StoreFormat.markerText(properties));
        assertEquals("chunkfs-store 3\n", StoreFormat.markerText(java.util.Map.of()), "a local store is version 3");
    }

    @Test
    void aStoreWithAGarbageMarkerDoesNotOpenAndKeepsIt() throws Exception {
        Path root = store();
        Files.writeString(root.resolve(".chunkfs"), "chunkfs-store x\n");

        String expected =
                " has an unknown store format 'chunkfs-store x' (this version of chunkfs reads 'chunkfs-store 1' to"
                        + " 'chunkfs-store 3')";
        assertEquals(root + expected, refusal(root));
        assertThrows(StoreException.class, () -> Stores.init(root));
        assertEquals("chunkfs-store x\n", Files.readString(root.resolve(".chunkfs")), "a garbage marker is left alone");
    }

    @Test
    void aMarkerLargerThanAnyFormatIsRefused() throws Exception {
        Path root = store();
        Files.writeString(root.resolve(".chunkfs"), StoreFormat.FIRST_LINE + "\n" + "k=v\n".repeat(2000));
        assertTrue(refusal(root).contains("unknown store format (its .chunkfs file is 8016 bytes)"));
    }

    @Test
    void propertiesThisReleaseDoesNotKnowAreIgnoredAndAConversionKeepsThem() throws Exception {
        String marker = "chunkfs-store 1\r\nfuture.hint=some value = with equals\n\ncompression=none \n";
        assertEquals(
                Map.of("future.hint", "some value = with equals", "compression", "none"),
                StoreFormat.parse(dir, marker).properties());
        assertEquals(1, StoreFormat.parse(dir, marker).version());

        Path root = store();
        Files.writeString(root.resolve(".chunkfs"), marker);
        Stores.open(root).close();
        String converted = "chunkfs-store 3\nfuture.hint=some value = with equals\ncompression=none\n";
        assertEquals(converted, Files.readString(root.resolve(".chunkfs")), "converted to version 3, properties kept");

        String version3 = "chunkfs-store 3\nfuture.hint=x\n";
        Files.writeString(root.resolve(".chunkfs"), version3);
        Stores.open(root).close();
        assertEquals(version3, Files.readString(root.resolve(".chunkfs")), "opening rewrites nothing");
    }

    /**
     * The marker of every store this release makes starts with exactly {@code chunkfs-store 3}, the line the releases
     * that read version 2 refuse as newer than they read. The last of those (commit 49e7716, whose stores kept
     * {@code receipts/}) is run on it too: its {@code StoreFormat}, compiled from the repository's history, must
     * refuse both markers with its one line. Skipped where the history is not at hand (a source archive).
     */
    @Test
    void theReleaseBeforeTheTreeRefusesAStoreOfThisReleaseInItsOneLine() throws Exception {
        Path root = store();
        String local = Files.readString(root.resolve(".chunkfs"));
        assertEquals("chunkfs-store 3\n", local);
        java.util.Map<String, String> properties = new java.util.LinkedHashMap<>();
        properties.put("backend", "s3");
        properties.put("s3.bucket", "b");
        String s3 = StoreFormat.markerText(properties);
        assertEquals("chunkfs-store 3", s3.lines().findFirst().orElseThrow());

        java.lang.reflect.Method parse =
                EarlierRelease.storeFormat(dir, "49e7716").getMethod("parse", Path.class, String.class);
        for (String marker : new String[] {local, s3}) {
            java.lang.reflect.InvocationTargetException refused = assertThrows(
                    java.lang.reflect.InvocationTargetException.class, () -> parse.invoke(null, root, marker));
            assertEquals(
                    "the store " + root + " has format version 3, newer than this chunkfs reads (version 2 and"
                            + " earlier): upgrade chunkfs to use it",
                    refused.getCause().getMessage());
        }
        assertEquals(
                1,
                parse.getDeclaringClass().getField("LOCAL_VERSION").getInt(null),
                "the earlier release's own StoreFormat, not this one's");
    }

    @Test
    void anEmptyMarkerNextToAStoreIsWrittenAgainAndCreationResumes() throws Exception {
        Path root = store();
        // What a crash right after an early release created a store may leave: nothing was fsynced.
        Files.write(root.resolve(".chunkfs"), new byte[0]);
        Files.delete(root.resolve(".chunks/7f"));

        Stores.open(root).close();
        assertEquals(StoreFormat.markerText(), Files.readString(root.resolve(".chunkfs")));
        assertTrue(Files.isDirectory(root.resolve(".chunks/7f")));
    }

    @Test
    void aBlankMarkerCountsAsEmpty() throws Exception {
        Path root = store();
        Files.writeString(root.resolve(".chunkfs"), " \n\n");

        Stores.open(root).close();
        assertEquals(StoreFormat.markerText(), Files.readString(root.resolve(".chunkfs")));
        Files.writeString(root.resolve(".chunkfs"), "\n");
        assertTrue(Stores.init(root), "init resumes a creation whose marker is blank");
        assertEquals(StoreFormat.markerText(), Files.readString(root.resolve(".chunkfs")));
    }

    @Test
    void anEmptyMarkerWithoutChunkFoldersIsNoStore() throws Exception {
        Files.write(dir.resolve(".chunkfs"), new byte[0]);
        assertTrue(refusal(dir).contains("has an unknown store format ''"), refusal(dir));
    }

    private Path store() throws Exception {
        Path root = dir.resolve("store");
        Stores.init(root);
        return root;
    }

    private String parseRefusal(String marker) {
        return assertThrows(StoreException.class, () -> StoreFormat.parse(dir, marker))
                .getMessage();
    }

    private static String refusal(Path root) {
        return assertThrows(StoreException.class, () -> Stores.open(root).close())
                .getMessage();
    }
}
