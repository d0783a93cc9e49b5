global using System.Collections.Immutable;
global using Microsoft.Extensions.Logging;
global using Microsoft.Extensions.Options;
global using OkrGrid.Domain.Scoring;
global using OkrGrid.Domain.Validation;
// The grain interfaces (contracts/) and the implementations here live in namespaces of their own.
global using OkrGrid.Grains;
global using OkrGrid.Model;
global using OkrGrid.Validation;
global using Orleans;
global using Orleans.Runtime;
