global using System.Collections.Immutable;
global using Orleans;
global using OkrGrid.Grains;
global using OkrGrid.Model;
global using OkrGrid.Scoring;
global using OkrGrid.Validation;
global using Xunit;
global using OkrGrid.Workload.Hosting;
