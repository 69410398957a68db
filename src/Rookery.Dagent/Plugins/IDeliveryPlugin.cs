using MimeKit;
using Rookery.Directory;
using Rookery.Store;

namespace Rookery.Dagent.Plugins;

/// <summary>One message on its way to one recipient, as a plugin sees it before it is stored.</summary>
/// <param name="Sender">The envelope sender (MAIL FROM), empty for the null sender.</param>
/// <param name="Address">The recipient address as the MTA gave it (RCPT TO).</param>
/// <param name="Account">The account the address belongs to.</param>
/// <param name="Headers">The parsed header; null when MimeKit could not parse it.</param>
/// <param name="IsSpam">Whether spam_header_name marks it as spam.</param>
public sealed record DeliveryContext(string Sender, string Address, UserAccount Account, HeaderList? Headers, bool IsSpam);

/// <summary>
/// A step of the delivery pipeline, the original's dagent plugins (PreDelivery): it may send a
/// recipient's copy to another folder than the Inbox (or Junk E-mail). Plugins run in the order
/// <c>plugins</c> lists them; the first that chooses a folder wins. A plugin that throws makes the
/// delivery fail temporarily (the MTA retries), so mail is never put in the wrong place.
/// </summary>
public interface IDeliveryPlugin
{
    /// <summary>The name <c>plugins</c> in dagent.cfg enables it by.</summary>
    string Name { get; }

    /// <summary>The folder this copy goes to, or null to leave the choice to the next plugin and finally to the default.</summary>
    ValueTask<FolderInfo?> ChooseFolderAsync(DeliveryContext context, CancellationToken cancellationToken);
}
