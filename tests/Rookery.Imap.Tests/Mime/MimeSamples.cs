namespace Rookery.Imap.Tests.Mime;

/// <summary>Messages that several tests look at from different sides.</summary>
internal static class MimeSamples
{
    public const string MixedWithAttachment = """
        From: a@b.c
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary=XyZ

        preamble text
        --XyZ
        Content-Type: text/plain

        see attachment
        --XyZ
        Content-Type: application/pdf; name="report.pdf"
        Content-Transfer-Encoding: base64
        Content-Disposition: attachment; filename="report.pdf"; size=12
        Content-ID: <part2@b.c>
        Content-Description: The report
        Content-Language: en, de-DE
        Content-Location: http://example.com/
         report.pdf
        Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==

        aGVsbG8gd29ybGQK
        SGVsbG8=
        --XyZ--
        epilogue

        """;

    public const string ForwardedMessage = """
        From: a@b.c
        To: x@y.z
        Subject: fwd
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="b1"

        --b1
        Content-Type: text/plain

        see below
        --b1
        Content-Type: message/rfc822
        Content-Disposition: inline

        From: "Inner, Sender" <inner@example.org>
        To: undisclosed-recipients:;
        Subject: inner subject
        Date: Tue, 3 Mar 2026 11:00:00 +0000
        Message-ID: <inner@example.org>
        MIME-Version: 1.0
        Content-Type: multipart/alternative; boundary="b2"

        --b2
        Content-Type: text/plain

        inner text
        --b2
        Content-Type: text/html

        <i>inner</i>
        --b2--
        --b1--

        """;
}
