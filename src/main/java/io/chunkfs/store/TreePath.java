package io.chunkfs.store;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Where an entry sits in the {@link Namespace}: the names from the root folder down to it (the mount shows it as
 * {@code incoming/} followed by these names, joined by {@code /}). Names are bytes, so a path is too: see
 * {@link #bytes()} and {@link #escaped()}. Immutable.
 */
public final class TreePath {
    /** The root folder itself (no names). */
    public static final TreePath ROOT = new TreePath(List.of());

    private final List<EntryName> names;

    private TreePath(List<EntryName> names) {
        this.names = names;
    }

    /** The path of the names {@code names}, from the root folder down. */
    public static TreePath of(List<EntryName> names) {
        return new TreePath(List.copyOf(names));
    }

    /** The entry {@code name} in the folder at this path. */
    public TreePath resolve(EntryName name) {
        List<EntryName> longer = new ArrayList<>(names.size() + 1);
        longer.addAll(names);
        longer.add(name);
        return new TreePath(List.copyOf(longer));
    }

    /** The names from the root folder down; empty for the root folder. */
    public List<EntryName> names() {
        return names;
    }

    /** The names' bytes joined by {@code /} (no {@code /} before the first): exactly the path, as Linux has it. */
    public byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) {
                out.write('/');
            }
            out.writeBytes(names.get(i).bytes());
        }
        return out.toByteArray();
    }

    /** Whether every name is valid UTF-8 (then {@link #toString()} is exactly the path's text). */
    public boolean isUtf8() {
        return names.stream().allMatch(EntryName::isUtf8);
    }

    /**
     * The path as one line of text: each name as {@link EntryName#escaped()} writes it (bytes that are not valid
     * UTF-8 and control characters as {@code \xHH}, a backslash as {@code \\}), joined by {@code /}. No name
     * holds a {@code /}, so the text names exactly one path.
     */
    public String escaped() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) {
                text.append('/');
            }
            text.append(names.get(i).escaped());
        }
        return text.toString();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TreePath path && names.equals(path.names);
    }

    @Override
    public int hashCode() {
        return names.hashCode();
    }

    /** The names' text ({@link EntryName#toString()}) joined by {@code /}. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) {
                text.append('/');
            }
            text.append(names.get(i));
        }
        return text.toString();
    }
}
