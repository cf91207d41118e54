package io.chunkfs.cli;

import io.chunkfs.fuse.MountTable;
import io.chunkfs.fuse.Unmount;
import io.chunkfs.store.StoreException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "umount",
        aliases = "unmount",
        mixinStandardHelpOptions = true,
        description = {
            "Unmount a chunkfs mount. Refused while files are open there, unless --lazy: then the "
                    + "mount detaches at once and ends when the last file is closed."
        })
final class UmountCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MOUNTPOINT", description = "Default: ~/chunkfs.")
    Path mountPoint;

    @Option(
            names = {"-z", "--lazy"},
            description = "Detach now even if files are open.")
    boolean lazy;

    @Override
    public Integer call() throws Exception {
        Path absolute = (mountPoint != null ? mountPoint : MountCommand.defaultMountPoint())
                .toAbsolutePath()
                .normalize();
        Optional<String> type = MountTable.typeAt(absolute);
        if (type.isEmpty()) {
            throw new StoreException(absolute + " is not mounted");
        }
        if (!type.get().equals("fuse.chunkfs")) {
            throw new StoreException(absolute + " is not a chunkfs mount (it is " + type.get() + ")");
        }
        Unmount.Result result = Unmount.once(absolute, lazy);
        if (!result.ok()) {
            throw new StoreException(
                    result.busy()
                            ? absolute + " is busy: files are open there (close them, or use --lazy)"
                            : "cannot unmount " + absolute + ": " + result.message());
        }
        return 0;
    }
}
