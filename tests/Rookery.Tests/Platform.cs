// Rookery runs on Linux; its tests use unix sockets, file modes and Debian packages.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
