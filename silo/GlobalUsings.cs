global using Microsoft.Extensions.DependencyInjection;
global using Microsoft.Extensions.Logging;
global using Orleans;
global using Orleans.Hosting;
global using Orleans.Runtime;
global using OkrGrid.Grains;
global using OkrGrid.Engine;
