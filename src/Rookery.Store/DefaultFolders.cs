namespace Rookery.Store;

/// <summary>The folders every private store starts with, named in the store's locale (default_store_locale).</summary>
public static class DefaultFolders
{
    public sealed record Definition(SpecialUse Use, ContainerClass ContainerClass);

    /// <summary>
    /// Which set of default folders a store has (stores.defaults_version): 1 until Files, 2 since. A store of an
    /// older set gets the folders it lacks when it is next opened.
    /// </summary>
    public const int Version = 2;

    public static IReadOnlyList<Definition> All { get; } =
    [
        new(SpecialUse.Inbox, ContainerClass.Mail),
        new(SpecialUse.Outbox, ContainerClass.Mail),
        new(SpecialUse.SentItems, ContainerClass.Mail),
        new(SpecialUse.DeletedItems, ContainerClass.Mail),
        new(SpecialUse.Drafts, ContainerClass.Mail),
        new(SpecialUse.Junk, ContainerClass.Mail),
        new(SpecialUse.Calendar, ContainerClass.Calendar),
        new(SpecialUse.Contacts, ContainerClass.Contacts),
        new(SpecialUse.Tasks, ContainerClass.Tasks),
        new(SpecialUse.Notes, ContainerClass.Notes),
        new(SpecialUse.Journal, ContainerClass.Journal),
        new(SpecialUse.Files, ContainerClass.Files),
    ];

    static readonly Dictionary<string, Dictionary<SpecialUse, string>> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["en"] = Table("Inbox", "Outbox", "Sent Items", "Deleted Items", "Drafts", "Junk E-mail", "Calendar", "Contacts", "Tasks", "Notes", "Journal", "Files"),
        ["nl"] = Table("Postvak IN", "Postvak UIT", "Verzonden items", "Verwijderde items", "Concepten", "Ongewenste e-mail", "Agenda", "Contactpersonen", "Taken", "Notities", "Logboek", "Bestanden"),
        ["de"] = Table("Posteingang", "Postausgang", "Gesendete Elemente", "Gelöschte Elemente", "Entwürfe", "Junk-E-Mail", "Kalender", "Kontakte", "Aufgaben", "Notizen", "Journal", "Dateien"),
        ["fr"] = Table("Boîte de réception", "Boîte d'envoi", "Éléments envoyés", "Éléments supprimés", "Brouillons", "Courrier indésirable", "Calendrier", "Contacts", "Tâches", "Notes", "Journal", "Fichiers"),
    };

    /// <summary>The languages default folders can be named in.</summary>
    public static IReadOnlyCollection<string> Languages => Names.Keys;

    /// <summary>The language part of a locale such as <c>nl_NL.UTF-8</c>; unknown languages fall back to English.</summary>
    public static string LanguageOf(string locale)
    {
        var language = locale.Split(['_', '.', '-', '@'], 2)[0];
        return Names.ContainsKey(language) ? language.ToLowerInvariant() : "en";
    }

    public static string NameOf(SpecialUse use, string locale) => Names[LanguageOf(locale)][use];

    static Dictionary<SpecialUse, string> Table(params string[] names)
    {
        var table = new Dictionary<SpecialUse, string>();
        for (var i = 0; i < All.Count; i++)
            table[All[i].Use] = names[i];
        return table;
    }
}
