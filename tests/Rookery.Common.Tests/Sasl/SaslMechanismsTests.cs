using System.Text;
using Rookery.Common.Sasl;

namespace Rookery.Common.Tests.Sasl;

public sealed class SaslMechanismsTests
{
    static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    static SaslCredentials Completed(SaslStep step) => Assert.IsType<SaslStep.Completed>(step).Credentials;

    [Fact]
    public void Plain_takes_an_initial_response_or_asks_for_one()
    {
        Assert.Equal(new SaslCredentials("", "alice", "pw"), Completed(SaslMechanisms.Create("plain")!.Start(B64("\0alice\0pw"))));

        var plain = SaslMechanisms.Create("PLAIN")!;
        Assert.Equal("", Assert.IsType<SaslStep.Challenge>(plain.Start(null)).Base64);
        Assert.Equal(new SaslCredentials("admin", "alice", "pä ss"), Completed(plain.Respond(B64("admin\0alice\0pä ss"))));

        Assert.IsType<SaslStep.Malformed>(SaslMechanisms.Create("PLAIN")!.Start(B64("alice\0pw")));
        Assert.IsType<SaslStep.Malformed>(SaslMechanisms.Create("PLAIN")!.Start("not base64!"));
    }

    [Fact]
    public void Login_asks_for_the_user_name_then_the_password()
    {
        var login = SaslMechanisms.Create("LOGIN")!;
        Assert.Equal(B64("Username:"), Assert.IsType<SaslStep.Challenge>(login.Start(null)).Base64);
        Assert.Equal(B64("Password:"), Assert.IsType<SaslStep.Challenge>(login.Respond(B64("alice"))).Base64);
        Assert.Equal(new SaslCredentials("", "alice", "pw"), Completed(login.Respond(B64("pw"))));

        var withInitial = SaslMechanisms.Create("LOGIN")!;
        Assert.IsType<SaslStep.Challenge>(withInitial.Start(B64("bob")));
        Assert.Equal("bob", Completed(withInitial.Respond(B64("pw"))).Login);
    }

    [Fact]
    public void Token_mechanisms_give_bearer_credentials_and_exist_only_when_tokens_are_taken()
    {
        Assert.Null(SaslMechanisms.Create("OAUTHBEARER"));
        Assert.Null(SaslMechanisms.Create("XOAUTH2"));
        Assert.Null(SaslMechanisms.Create("CRAM-MD5", tokens: true));

        var bearer = Completed(SaslMechanisms.Create("OAUTHBEARER", tokens: true)!.Start(B64("n,a=alice@example.com,\u0001host=mail\u0001auth=Bearer eyJ.abc\u0001\u0001")));
        Assert.Equal(new SaslCredentials("", "alice@example.com", "eyJ.abc", CredentialKind.BearerToken), bearer);

        var google = Completed(SaslMechanisms.Create("xoauth2", tokens: true)!.Start(B64("user=bob\u0001auth=Bearer tok123\u0001\u0001")));
        Assert.Equal(new SaslCredentials("", "bob", "tok123", CredentialKind.BearerToken), google);

        Assert.IsType<SaslStep.Malformed>(SaslMechanisms.Create("OAUTHBEARER", tokens: true)!.Start(B64("n,,\u0001auth=Basic xyz\u0001\u0001")));
        Assert.IsType<SaslStep.Malformed>(SaslMechanisms.Create("XOAUTH2", tokens: true)!.Start(B64("user=bob\u0001\u0001")));
    }

    [Fact]
    public void Credentials_never_print_their_secret()
    {
        Assert.DoesNotContain("hunter2", new SaslCredentials("", "alice", "hunter2").ToString(), StringComparison.Ordinal);
    }
}
