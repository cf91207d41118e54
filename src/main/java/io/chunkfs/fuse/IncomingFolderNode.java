package io.chunkfs.fuse;

import java.io.IOException;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * {@code incoming/}: the folder where files are written. Its modes, times and {@code user.*}
 * attributes are accepted and ignored, so that {@code cp -p}, {@code rsync -a} and {@code tar -x}
 * (which set those of {@code ./}) can deliver.
 */
final class IncomingFolderNode extends NodeHandler {
    private final IncomingFiles files;
    private final Instant mountedAt;

    IncomingFolderNode(Refusals refusals, IncomingFiles files, Instant mountedAt) {
        super(refusals);
        this.files = files;
        this.mountedAt = mountedAt;
    }

    @Override
    Attributes attributes() {
        return Attributes.folder(refusals.incomingFolderMode(), 2, mountedAt);
    }

    @Override
    void list(Consumer<String> names) throws IOException {
        files.list(names);
    }

    @Override
    void changeOwnerOrMode() {
        refusals.requireWritable();
    }

    @Override
    void touch() {
        refusals.requireWritable();
    }

    @Override
    void changeXattr(String name) {
        IncomingFileNode.acceptUserXattr(refusals, name);
    }
}
