package io.chunkfs.cli;

import io.chunkfs.store.Digest;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Makes a malformed digest on the command line a usage error (exit 2). */
final class DigestConverter implements ITypeConverter<Digest> {
    @Override
    public Digest convert(String text) {
        try {
            return Digest.parse(text);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
