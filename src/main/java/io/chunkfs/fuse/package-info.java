/**
 * The chunk store as a FUSE file system, and the mount process around it.
 *
 * <p>How a callback is answered, from the kernel inwards:
 *
 * <ul>
 *   <li>{@link io.chunkfs.fuse.ChunkFs}: the jnr-fuse callbacks. Dispatches each to the node a path
 *       names or to the open file a handle number names, and copies values into jnr's structs; with
 *       {@code FuseAbi} (the raw offsets and bits jnr-fuse leaves out) the only place with jnr types.
 *   <li>{@code Answers}: turns what a callback threw into the errno the kernel hears, counts it in
 *       {@link io.chunkfs.fuse.MountStats}, logs the unexpected.
 *   <li>{@code Nodes} and one {@code NodeHandler} per node kind: {@code RootNode}, {@code PrefixNode},
 *       {@code ChunkNode}, {@code IncomingFolderNode}, {@code IncomingFileNode}, and {@code MissingNode}
 *       for paths that name nothing. Every operation a kind does not override is refused, and every
 *       refusal (EROFS, EPERM, EACCES, EISDIR, ENOTDIR, ENOENT ...) is decided by {@code Refusals}.
 *   <li>{@code OpenHandles}: handle number to {@code Handle}, a {@code ChunkHandle} (a chunk or receipt
 *       read by digest) or an {@code IncomingHandle} (a file of incoming/ being written or read).
 *   <li>{@code IncomingFiles} and {@code PendingFile}: the state machine of incoming/, by name (create,
 *       open, rename, unlink, truncate, release) and by bytes (write, read, commit at flush). No jnr types:
 *       unit tests play it against a real store without a mount.
 *   <li>{@code MountedStore}: the one place that asks where the store lives (owner, space, location).
 * </ul>
 *
 * <p>The mount process: {@link io.chunkfs.fuse.Mounter} serves a {@code ChunkFs} until unmounted,
 * {@code ControlSocket} answers {@code chunkfs status} with a {@code StatusReport}.
 */
package io.chunkfs.fuse;
