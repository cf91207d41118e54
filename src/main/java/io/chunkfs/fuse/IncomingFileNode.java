package io.chunkfs.fuse;

import io.chunkfs.store.Digest;
import java.io.IOException;

/**
 * {@code incoming/NAME}: a receipt, or a file being written (see {@link IncomingFiles}). Modes,
 * owners, times and {@code user.*} attributes are accepted and ignored, so that copying programs
 * that set them can deliver.
 */
final class IncomingFileNode extends NodeHandler {
    private final IncomingFiles files;
    private final String name;

    IncomingFileNode(Refusals refusals, IncomingFiles files, String name) {
        super(refusals);
        this.files = files;
        this.name = name;
    }

    @Override
    Attributes attributes() throws IOException {
        return files.attributes(name);
    }

    @Override
    Handle create() throws IOException {
        return files.create(name);
    }

    @Override
    Opened open(boolean writing, boolean truncate) throws IOException {
        return files.open(name, writing, truncate);
    }

    @Override
    void truncate(long size) throws IOException {
        files.truncate(name, size);
    }

    @Override
    void unlink() throws IOException {
        files.unlink(name);
    }

    @Override
    void renameTo(Node target) throws IOException {
        if (!(target instanceof Node.IncomingFile file)) {
            throw refusals.rename(target);
        }
        files.rename(name, file.name());
    }

    @Override
    void changeOwnerOrMode() {
        refusals.requireWritable();
    }

    @Override
    void touch() throws IOException {
        files.touch(name);
    }

    @Override
    Digest digest() throws IOException {
        return files.digest(name);
    }

    @Override
    void changeXattr(String name) {
        acceptUserXattr(refusals, name);
    }

    /**
     * {@code user.*} changes are accepted and ignored: rsync -aX removes user.chunkfs.digest from its
     * temporary file and copies the source's, cp -a and shutil.copy2 copy them, and each fails the whole
     * copy on any refusal. Other namespaces answer EOPNOTSUPP, on which they fall back quietly.
     */
    static void acceptUserXattr(Refusals refusals, String name) {
        refusals.requireWritable();
        if (name == null || !name.startsWith("user.")) {
            throw refusals.attributesFixed();
        }
    }
}
