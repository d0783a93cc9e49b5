global using System.Collections.Immutable;
global using OkrGrid.Domain.Scoring;
global using OkrGrid.Model;
