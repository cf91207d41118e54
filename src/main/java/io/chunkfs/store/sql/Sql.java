package io.chunkfs.store.sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * One connection with its prepared statements kept for reuse: parsing and planning the SQL cost about as much as
 * running it. Confined to whoever holds the connection's lock ({@link SqlNamespace}'s writer lock or its reader's
 * monitor), like the connection itself.
 */
final class Sql implements AutoCloseable {
    private final Connection connection;
    private final Map<String, PreparedStatement> statements = new HashMap<>();

    Sql(Connection connection) {
        this.connection = connection;
    }

    Connection connection() {
        return connection;
    }

    /** The statement for {@code sql}, its parameters cleared when the returned query is closed. */
    Query query(String sql) throws SQLException {
        PreparedStatement statement = statements.get(sql);
        if (statement == null) {
            statement = connection.prepareStatement(sql);
            statements.put(sql, statement);
        }
        return new Query(statement);
    }

    @Override
    public void close() throws SQLException {
        try {
            for (PreparedStatement statement : statements.values()) {
                statement.close();
            }
        } finally {
            statements.clear();
            connection.close();
        }
    }

    /** A use of a kept statement: what {@link SqlNamespace} calls of it; closing it keeps the statement. */
    static final class Query implements AutoCloseable {
        private final PreparedStatement statement;

        private Query(PreparedStatement statement) {
            this.statement = statement;
        }

        void setLong(int index, long value) throws SQLException {
            statement.setLong(index, value);
        }

        void setInt(int index, int value) throws SQLException {
            statement.setInt(index, value);
        }

        void setBytes(int index, byte[] value) throws SQLException {
            statement.setBytes(index, value);
        }

        void setString(int index, String value) throws SQLException {
            statement.setString(index, value);
        }

        void setNull(int index, int type) throws SQLException {
            statement.setNull(index, type);
        }

        ResultSet executeQuery() throws SQLException {
            return statement.executeQuery();
        }

        int executeUpdate() throws SQLException {
            return statement.executeUpdate();
        }

        @Override
        public void close() throws SQLException {
            statement.clearParameters();
        }
    }
}
