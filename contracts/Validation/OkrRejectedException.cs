namespace OkrGrid.Validation;

[Alias("okr.validation.rejection-kind")]
public enum RejectionKind { Invalid, NotFound, Conflict, Forbidden, Mismatch }

/// <summary>
/// A command was refused and changed nothing. <see cref="Field"/> names the input at fault and
/// <see cref="Reason"/> says why, in words a user can act on.
/// </summary>
[GenerateSerializer, Alias("okr.validation.okr-rejected-exception")]
public sealed class OkrRejectedException : Exception
{
    public OkrRejectedException(RejectionKind kind, string field, string reason)
        : base($"{field}: {reason}")
    {
        Kind = kind;
        Field = field;
        Reason = reason;
    }

    [Id(0)] public RejectionKind Kind { get; }
    [Id(1)] public string Field { get; }
    [Id(2)] public string Reason { get; }

    public static OkrRejectedException Invalid(string field, string reason) => new(RejectionKind.Invalid, field, reason);
    public static OkrRejectedException NotFound(string field, string id) => new(RejectionKind.NotFound, field, $"'{id}' does not exist.");
    public static OkrRejectedException Conflict(string field, string reason) => new(RejectionKind.Conflict, field, reason);

    /// <summary>
    /// The request reuses the idempotency key of an earlier, different one (422 in the API, as Stripe answers): neither
    /// is applied twice, and the new one is not applied at all.
    /// </summary>
    public static OkrRejectedException Mismatch(string field, string reason) => new(RejectionKind.Mismatch, field, reason);

    /// <summary>The caller may not do this (the role or the token's scope does not cover it); nothing changed.</summary>
    public static OkrRejectedException Forbidden(string field, string reason) => new(RejectionKind.Forbidden, field, reason);
}
