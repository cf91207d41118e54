/**
 * The chunk store as a FUSE file system, and the mount process around it.
 *
 * <p>How a callback is answered, from the kernel inwards:
 *
 * <ul>
 *   <li>{@link io.chunkfs.fuse.ChunkFs}: the libfuse callbacks, bound to raw pointers ({@code PathCallbacks}) so
 *       that every path and name is its bytes. Parses each path ({@code Node}) and dispatches it to the node it
 *       names, or a handle number to the open file it names; with {@code FuseAbi} (the raw offsets and bits
 *       jnr-fuse leaves out) and {@code DirectoryFiller} (readdir's filler, called by address) the only place
 *       with jnr types.
 *   <li>{@code Answers}: turns what a callback threw into the errno the kernel hears, counts it in
 *       {@link io.chunkfs.fuse.MountStats}, logs the unexpected.
 *   <li>{@code Nodes} and one {@code NodeHandler} per node kind: {@code RootNode}, {@code PrefixNode},
 *       {@code ChunkNode}, {@code TreeNode} (incoming/ and every path under it: an entry of the tree, walked
 *       to from its root) and {@code MissingNode} for paths that name nothing. Every operation a kind does not
 *       override is refused; refusals outside the tree are decided by {@code Refusals}, the tree answers the
 *       errno Linux gives.
 *   <li>{@code OpenHandles}: handle number to {@code Handle}, a {@code ChunkHandle} (a chunk or a file of the
 *       tree read by digest) or an {@code IncomingHandle} (a regular file of the tree being written).
 *   <li>{@code IncomingFiles} and {@code PendingFile}: regular files open for writing, one per inode (create,
 *       open, truncate, release) and their bytes (write, read, commit at flush, then the inode names the new
 *       chunk). No jnr types: unit tests play them against a real store without a mount.
 *   <li>{@code MountedStore}: the one place that asks where the store lives (owner, space, location).
 * </ul>
 *
 * <p>The mount process: {@link io.chunkfs.fuse.Mounter} serves a {@code ChunkFs} until unmounted,
 * {@code ControlSocket} answers {@code chunkfs status} with a {@code StatusReport}.
 */
package io.chunkfs.fuse;
