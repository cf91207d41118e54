package io.chunkfs.store.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.chunkfs.store.NamespaceWalk;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.sqlite.SQLiteConfig;

/**
 * The tree database's tables read directly, read-only, as another process would: what the seam cannot show
 * (a name of a missing inode is hidden by the join that lists it; a cycle cut off from the root is not reached
 * by a walk from it; an attribute row may outlive its inode).
 */
final class TreeTables {
    private TreeTables() {}

    static Connection connect(Path folder) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        config.setBusyTimeout(10_000);
        return config.createConnection("jdbc:sqlite:" + folder.resolve(SqlNamespace.fileName()));
    }

    static long count(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet row = s.executeQuery(sql)) {
            row.next();
            return row.getLong(1);
        }
    }

    static String journalMode(Path folder) throws SQLException {
        try (Connection c = connect(folder);
                Statement s = c.createStatement();
                ResultSet row = s.executeQuery("PRAGMA journal_mode")) {
            row.next();
            return row.getString(1);
        }
    }

    /**
     * Checks that the tables hold exactly the tree {@code walked} read from the root, and nothing besides: every
     * inode row reached, every name row walked, no name of a missing inode or under a missing folder, no
     * extended attribute of a missing inode, every folder but the root named exactly once.
     */
    static void assertHoldExactly(Path folder, NamespaceWalk.Tree walked) throws SQLException {
        try (Connection c = connect(folder)) {
            assertEquals(
                    0,
                    count(
                            c,
                            "SELECT COUNT(*) FROM entries e WHERE NOT EXISTS"
                                    + " (SELECT 1 FROM inodes i WHERE i.inode = e.inode)"),
                    "names of missing inodes");
            assertEquals(
                    0,
                    count(
                            c,
                            "SELECT COUNT(*) FROM entries e WHERE NOT EXISTS"
                                    + " (SELECT 1 FROM inodes i WHERE i.inode = e.parent AND i.type = 2)"),
                    "names in no folder");
            assertEquals(
                    0,
                    count(
                            c,
                            "SELECT COUNT(*) FROM xattrs x WHERE NOT EXISTS"
                                    + " (SELECT 1 FROM inodes i WHERE i.inode = x.inode)"),
                    "attributes of missing inodes");
            assertEquals(
                    0,
                    count(
                            c,
                            "SELECT COUNT(*) FROM inodes i WHERE i.type = 2 AND i.inode <> 1 AND"
                                    + " (SELECT COUNT(*) FROM entries e WHERE e.inode = i.inode) <> 1"),
                    "folders without one name");
            assertEquals(
                    walked.inodes().size(),
                    count(c, "SELECT COUNT(*) FROM inodes"),
                    "inodes the walk from the root did not reach (no name, or a cycle cut off from the root)");
            assertEquals(walked.names(), count(c, "SELECT COUNT(*) FROM entries"), "names the walk did not reach");
        }
    }
}
