package dev.recops.cli;

import dev.recops.objective.Durations;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;

/** Durations as people write them ({@link Durations}) for picocli options. */
final class DurationConverter implements ITypeConverter<Duration> {
    static String format(Duration d) {
        return Durations.format(d);
    }

    @Override
    public Duration convert(String value) {
        try {
            return Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
