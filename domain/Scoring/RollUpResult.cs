

namespace OkrGrid.Domain.Scoring;

/// <summary>The result of rolling children up into an objective.</summary>
public readonly record struct RollUpResult(double Progress, double? Confidence, bool NoData);
