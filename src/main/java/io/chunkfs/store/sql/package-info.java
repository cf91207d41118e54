/**
 * The {@link io.chunkfs.store.Namespace} kept in a SQL database: {@link io.chunkfs.store.sql.SqlNamespace} holds
 * the portable SQL, {@link io.chunkfs.store.sql.SqliteDatabase} the embedded database in the store folder and its
 * settings. A namespace backend: it knows the store core and nothing above it.
 */
package io.chunkfs.store.sql;
