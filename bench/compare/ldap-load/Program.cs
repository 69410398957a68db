using LdapLoad;

// ldap-load login|socketmap|ldap --keys FILE [--option value]...  (see Options.cs; bench/compare/ldap-login.sh passes everything)
if (args.Length == 0 || args[0] is not ("login" or "socketmap" or "ldap"))
{
    Console.Error.WriteLine("usage: ldap-load login|socketmap|ldap --keys FILE [--warmup-keys FILE] [--clients C] [--host H] [--port P] " +
        "[--password PW] [--map mailbox] [--base DN] [--filter F] [--attribute A] [--bind-dn DN] [--bind-password PW] [--expect ok|notfound] [--label L] [--output FILE]");
    return 2;
}
var options = Options.Parse(args, 1);
Func<IWorker> worker = args[0] switch
{
    "login" => () => new ImapLoginWorker(options),
    "socketmap" => () => new SocketmapWorker(options),
    _ => () => new LdapSearchWorker(options),
};
return await Runner.RunAsync(options, worker);
