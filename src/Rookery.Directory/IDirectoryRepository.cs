namespace Rookery.Directory;

/// <summary>What an admin changes about a user; null leaves a field as it is.</summary>
public sealed record UserUpdate
{
    public string? Password { get; init; }
    public string? Email { get; init; }
    public string? FullName { get; init; }
    public bool? IsAdmin { get; init; }
    public bool? Active { get; init; }
    public bool? Hidden { get; init; }
    public string? Company { get; init; }
    public bool? QuotaOverride { get; init; }
    public long? QuotaWarn { get; init; }
    public long? QuotaSoft { get; init; }
    public long? QuotaHard { get; init; }
    public IReadOnlyList<string> EnableFeatures { get; init; } = [];
    public IReadOnlyList<string> DisableFeatures { get; init; } = [];
    /// <summary>Features to take off both lists, back to the server default.</summary>
    public IReadOnlyList<string> ResetFeatures { get; init; } = [];
    public IReadOnlyList<string> AddAliases { get; init; } = [];
    public IReadOnlyList<string> RemoveAliases { get; init; } = [];
    public IReadOnlyList<string> AddSendAs { get; init; } = [];
    public IReadOnlyList<string> RemoveSendAs { get; init; } = [];
}

/// <summary>Account data kept in Rookery's own database: all of it for the db plugin, the extra properties for unix.</summary>
public interface IDirectoryRepository
{
    Task<UserAccount> CreateUserAsync(string source, string login, string passwordHash, UserUpdate properties, CancellationToken cancellationToken = default);

    Task<UserAccount> UpdateUserAsync(string source, string login, UserUpdate update, string? newPasswordHash, CancellationToken cancellationToken = default);

    /// <summary>Deletes an account with its aliases, send-as rights, memberships and every folder grant naming it; its store stays.</summary>
    Task DeleteUserAsync(string source, string login, CancellationToken cancellationToken = default);

    Task<UserAccount?> FindUserAsync(string source, string login, CancellationToken cancellationToken = default);

    Task<UserAccount?> FindUserByIdAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>The quota settings of user <paramref name="id"/> from <paramref name="source"/>, in one lookup.</summary>
    Task<QuotaSettings?> FindQuotaByIdAsync(string source, long id, CancellationToken cancellationToken = default);

    /// <summary>The stored password hash of an account, or null.</summary>
    Task<string?> GetPasswordHashAsync(string source, string login, CancellationToken cancellationToken = default);

    Task<UserAccount?> FindByAddressAsync(string source, string address, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<UserAccount>> ListUsersAsync(string source, CancellationToken cancellationToken = default);

    Task<GroupInfo> CreateGroupAsync(string name, string email, string company, CancellationToken cancellationToken = default);

    /// <summary>Deletes a group with its memberships and every folder grant naming it.</summary>
    Task DeleteGroupAsync(string name, CancellationToken cancellationToken = default);

    Task AddGroupMemberAsync(string group, string source, string login, CancellationToken cancellationToken = default);

    Task RemoveGroupMemberAsync(string group, string source, string login, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<GroupInfo>> ListGroupsAsync(CancellationToken cancellationToken = default);

    Task<CompanyInfo> CreateCompanyAsync(string name, CancellationToken cancellationToken = default);

    Task DeleteCompanyAsync(string name, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<CompanyInfo>> ListCompaniesAsync(CancellationToken cancellationToken = default);
}
