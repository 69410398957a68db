using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Rookery;

/// <summary>log_level as the original counts it: 0 none, 1 crit, 2 err, 3 warning, 4 notice, 5 info, 6 debug.</summary>
public static class Logging
{
    /// <summary>The log_level in force; a reload changes it for every logger already made.</summary>
    public static int Level { get; set; } = 3;

    public static LogLevel FromOriginal(int level) => level switch
    {
        <= 0 => LogLevel.None,
        1 => LogLevel.Critical,
        2 => LogLevel.Error,
        3 => LogLevel.Warning,
        4 or 5 => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    /// <param name="standardError">Log to stderr, for one-shot commands whose stdout is their answer (admin --json).</param>
    public static void Configure(ILoggingBuilder builder, int originalLevel, bool standardError = false)
    {
        Level = originalLevel;
        builder.ClearProviders();
        builder.SetMinimumLevel(LogLevel.Trace);
        // Framework chatter only when debugging.
        builder.AddFilter((category, level) => level >= FromOriginal(Level)
            && (Level >= 6 || level >= LogLevel.Warning || category?.StartsWith("Microsoft", StringComparison.Ordinal) != true));
        builder.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
            o.ColorBehavior = LoggerColorBehavior.Disabled;
        });
        if (standardError)
            builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }

    public static ILoggerFactory CreateFactory(int originalLevel, bool standardError = false) => LoggerFactory.Create(b => Configure(b, originalLevel, standardError));
}
