using OkrGrid.Model;

namespace OkrGrid.Domain.Scoring;

/// <summary>A child's contribution as a parent objective sees it.</summary>
public readonly record struct Contribution(NodeKind Kind, double Weight, double Progress, double? Confidence);
