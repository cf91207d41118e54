package io.chunkfs.fuse;

import java.util.Map;

/**
 * Renders a mount's status report for {@code chunkfs status}. The command line owns the formats; the
 * mount process only gathers the figures and serves them on its control socket.
 */
@FunctionalInterface
public interface StatusFormat {
    String render(Map<String, Object> report, boolean json);
}
