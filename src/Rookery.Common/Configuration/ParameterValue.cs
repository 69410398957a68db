namespace Rookery.Common.Configuration;

/// <summary>A parameter's effective value, in canonical form, and where it came from.</summary>
public sealed record ParameterValue(ParameterDefinition Definition, string Value, ValueSource Source);
