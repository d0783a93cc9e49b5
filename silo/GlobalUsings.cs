global using Microsoft.Extensions.DependencyInjection;
global using Microsoft.Extensions.Logging;
global using OkrGrid.Engine;
global using Orleans;
global using Orleans.Hosting;
global using Orleans.Runtime;
