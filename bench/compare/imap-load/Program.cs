using ImapLoad;

// imap-load populate|run|idle [--option value]...  (see Options.cs; the scripts in bench/compare pass everything)
if (args.Length == 0 || args[0] is not ("populate" or "run" or "idle"))
{
    Console.Error.WriteLine("usage: imap-load populate|run|idle [--host H] [--port P] [--user-prefix bench] [--password pw] [--users U] [--clients C] " +
        "[--connections N] [--seconds S] [--warmup S] [--messages N] [--mbox FILE] [--idle-ms MS] [--fetch-range N] [--sources K] [--label L] [--output FILE]");
    return 2;
}
var options = Options.Parse(args, 1);
return args[0] switch
{
    "populate" => await Load.PopulateAsync(options),
    "run" => await Load.RunAsync(options),
    _ => await IdleHolder.RunAsync(options),
};
