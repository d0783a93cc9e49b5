global using System.Collections.Immutable;
global using OkrGrid.Model;
global using OkrGrid.Domain.Scoring;
