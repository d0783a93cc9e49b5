global using System.Collections.Concurrent;
global using System.Collections.Immutable;
global using System.Diagnostics;
global using Orleans;
global using OkrGrid.Grains;
global using OkrGrid.Model;
global using OkrGrid.Scoring;
global using OkrGrid.Workload;
