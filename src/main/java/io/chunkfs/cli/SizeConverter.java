package io.chunkfs.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Parses a size: a number of bytes, or with K, M, G, T (powers of 1024; an optional trailing B or iB). */
final class SizeConverter implements CommandLine.ITypeConverter<Long> {
    private static final Pattern SIZE = Pattern.compile("([0-9]{1,15})\\s*([KMGT]?)(I?B)?");

    @Override
    public Long convert(String text) {
        Matcher matcher = SIZE.matcher(text.strip().toUpperCase(Locale.ROOT));
        if (!matcher.matches()) {
            throw new CommandLine.TypeConversionException(
                    "'" + text + "' is not a size (bytes, or a number with K, M, G or T: 64G)");
        }
        int shift = "KMGT".indexOf(matcher.group(2).isEmpty() ? "_" : matcher.group(2)) + 1;
        long value = Long.parseLong(matcher.group(1));
        if (shift > 0 && value > (Long.MAX_VALUE >> (10 * shift))) {
            throw new CommandLine.TypeConversionException("'" + text + "' is too large a size");
        }
        return value << (10 * shift);
    }
}
