using Microsoft.Extensions.Logging;

namespace Rookery.Imap;

static partial class Log
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "IMAP client ID {Id}")]
    public static partial void LogClientId(this ILogger logger, string id);
}
