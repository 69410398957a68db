using System.Buffers;
using System.Text;
using Rookery.Smtp.Protocol;

namespace Rookery.Smtp.Tests;

public sealed class CommandParserTests
{
    static (ParseStatus Status, SmtpCommand? Command, SmtpReply? Error) ParseOne(string input, SmtpCommandParser? parser = null)
    {
        parser ??= new SmtpCommandParser();
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(input)));
        var status = parser.TryParse(ref reader, out var command, out var error);
        return (status, command, error);
    }

    [Theory]
    [InlineData("LHLO mx.example.com\r\n", "LHLO", "mx.example.com")]
    [InlineData("lhlo mx\r\n", "LHLO", "mx")]
    [InlineData("EHLO [127.0.0.1]\n", "EHLO", "[127.0.0.1]")]
    public void Hello_commands_carry_the_client_name(string input, string verb, string domain)
    {
        var (status, command, _) = ParseOne(input);
        Assert.Equal(ParseStatus.Command, status);
        Assert.Equal(new SmtpCommand.Hello(verb, domain), command);
    }

    [Theory]
    [InlineData("MAIL FROM:<alice@example.com>", "alice@example.com")]
    [InlineData("mail from:<alice@example.com>", "alice@example.com")]
    [InlineData("MAIL FROM: <alice@example.com>", "alice@example.com")]
    [InlineData("MAIL FROM:<>", "")]
    [InlineData("MAIL FROM:<@relay.example,@b.example:alice@example.com>", "alice@example.com")]
    [InlineData("MAIL FROM:<\"john doe\"@example.com>", "\"john doe\"@example.com")]
    [InlineData("MAIL FROM:<bounce@[192.0.2.1]>", "bounce@[192.0.2.1]")]
    public void Mail_from_accepts_the_paths_of_rfc5321(string line, string path)
    {
        var (status, command, error) = ParseOne(line + "\r\n");
        Assert.True(status == ParseStatus.Command, error?.ToString());
        Assert.Equal(path, Assert.IsType<SmtpCommand.Mail>(command).ReversePath);
    }

    [Fact]
    public void Mail_parameters_size_and_body_are_understood_and_others_kept()
    {
        var (_, command, _) = ParseOne("MAIL FROM:<a@b.example> SIZE=12345 BODY=8BITMIME SMTPUTF8\r\n");
        var mail = Assert.IsType<SmtpCommand.Mail>(command);
        Assert.Equal(12345, mail.Size);
        Assert.Equal(BodyType.EightBitMime, mail.Body);
        Assert.True(mail.Parameters.ContainsKey("smtputf8"));
        Assert.Null(mail.Parameters["SMTPUTF8"]);
    }

    [Theory]
    [InlineData("MAIL FROM:alice@example.com", "501 5.1.7")]
    [InlineData("MAIL FROM:<alice@example.com", "501 5.1.7")]
    [InlineData("MAIL FROM:<alice>", "501 5.1.7")]
    [InlineData("MAIL FROM:<al ice@example.com>", "501 5.1.7")]
    [InlineData("MAIL TO:<alice@example.com>", "501 5.1.7")]
    [InlineData("MAIL FROM:<a@b.example> SIZE=big", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> BODY=9BIT", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@b.example> SIZE=1 SIZE=2", "501 5.5.4")]
    [InlineData("RCPT TO:<>", "501 5.1.3")]
    [InlineData("RCPT TO:<bob@exa mple.com>", "501 5.1.3")]
    [InlineData("RCPT TO:<bob@example..com>", "501 5.1.3")]
    [InlineData("LHLO", "501 5.5.4")]
    [InlineData("DATA now", "501 5.5.4")]
    [InlineData("HELP", "500 5.5.1")]
    [InlineData("", "500 5.5.1")]
    [InlineData("\u00ffGARBAGE", "500 5.5.1")]
    public void Malformed_commands_get_the_protocol_error(string line, string reply)
    {
        var (status, _, error) = ParseOne(line + "\r\n");
        Assert.Equal(ParseStatus.Error, status);
        Assert.StartsWith(reply + " ", error!.ToString());
    }

    [Theory]
    [InlineData("RCPT TO:<Bob@Example.COM>", "Bob@Example.COM")]
    [InlineData("RCPT TO:<postmaster>", "postmaster")]
    [InlineData("rcpt to:<bob@example.com> NOTIFY=NEVER", "bob@example.com")]
    public void Rcpt_to_keeps_the_address_as_given(string line, string path)
    {
        var (_, command, _) = ParseOne(line + "\r\n");
        Assert.Equal(path, Assert.IsType<SmtpCommand.Rcpt>(command).ForwardPath);
    }

    [Fact]
    public void Simple_commands_parse()
    {
        Assert.IsType<SmtpCommand.Data>(ParseOne("DATA\r\n").Command);
        Assert.IsType<SmtpCommand.Rset>(ParseOne("rset\r\n").Command);
        Assert.IsType<SmtpCommand.Noop>(ParseOne("NOOP anything\r\n").Command);
        Assert.IsType<SmtpCommand.Quit>(ParseOne("QUIT\r\n").Command);
        Assert.IsType<SmtpCommand.StartTls>(ParseOne("STARTTLS\r\n").Command);
    }

    [Fact]
    public void Pipelined_commands_come_out_one_at_a_time_and_a_partial_line_waits()
    {
        var parser = new SmtpCommandParser();
        var input = Encoding.ASCII.GetBytes("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nRCPT TO:<e@f.example>\r\nDA");
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(input));
        var commands = new List<SmtpCommand>();
        while (parser.TryParse(ref reader, out var command, out _) == ParseStatus.Command)
            commands.Add(command!);
        Assert.Equal(3, commands.Count);
        Assert.Equal("DA", Encoding.ASCII.GetString(reader.UnreadSequence));
    }

    [Fact]
    public void A_100_kB_line_gets_one_error_is_never_buffered_and_the_next_command_still_parses()
    {
        var parser = new SmtpCommandParser(512);
        var errors = 0;
        var commands = new List<SmtpCommand>();
        // feed in 4 kB pieces, as a socket would, and keep nothing the parser has consumed
        var stream = Encoding.ASCII.GetBytes("NOOP " + new string('x', 100_000) + "\r\nQUIT\r\n");
        var pending = Array.Empty<byte>();
        for (var offset = 0; offset < stream.Length; offset += 4096)
        {
            pending = [.. pending, .. stream.AsSpan(offset, Math.Min(4096, stream.Length - offset))];
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(pending));
            while (true)
            {
                var status = parser.TryParse(ref reader, out var command, out var error);
                if (status == ParseStatus.NeedMoreData)
                    break;
                if (status == ParseStatus.Error) { errors++; Assert.Equal(SmtpReply.LineTooLong, error); }
                else commands.Add(command!);
            }
            pending = reader.UnreadSequence.ToArray();
            Assert.True(pending.Length <= 4096 + 512, "the parser must not hold an over-long line");
        }
        Assert.Equal(1, errors);
        Assert.IsType<SmtpCommand.Quit>(Assert.Single(commands));
    }

    [Fact]
    public void Multi_line_replies_use_dashes_and_the_enhanced_code()
    {
        var reply = new SmtpReply(250, null, ["mx.example.com", "PIPELINING", "ENHANCEDSTATUSCODES"]);
        Assert.Equal("250-mx.example.com\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n", reply.ToString());
        Assert.Equal("552 5.2.2 Mailbox full\r\n", new SmtpReply(552, "5.2.2", "Mailbox full").ToString());
    }
}
