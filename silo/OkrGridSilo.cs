using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using OkrGrid.Engine.Feed;
using OkrGrid.Engine.Journal;
using OkrGrid.Silo.Storage;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;

namespace OkrGrid.Silo;

/// <summary>
/// The one place a silo is configured — storage, journal, change feed, grain options — so the web host's
/// embedded silo, the silo host (silohost/) and the test cluster all run the same engine.
/// </summary>
public static class OkrGridSilo
{
    /// <summary>The configuration key (and environment variable OKRGRID_POSTGRES) of the PostgreSQL connection string.</summary>
    public const string ConnectionStringKey = "OKRGRID_POSTGRES";

    public static ISiloBuilder AddOkrGrid(this ISiloBuilder silo, string connectionString, Action<EngineOptions>? engine = null)
    {
        var services = silo.Services;
        services.TryAddSingleton(_ => CreateDataSource(connectionString));

        silo.AddAdoNetGrainStorage(StorageNames.Okr, options => options.Configure<NpgsqlDataSource, Serializer>((o, dataSource, serializer) =>
        {
            o.Invariant = "Npgsql";
            o.DataSource = dataSource;
            // Orleans' binary format: compact and fast for a cycle's whole structure, and version-tolerant
            // through the [Id] attributes of every stored type.
            o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
        }));

        // The schema must be in place before the storage provider reads its queries (ApplicationServices stage).
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, MigrationParticipant>();

        services.AddOptions<EngineOptions>().Configure(o => engine?.Invoke(o));
        services.AddOptions<JournalOptions>();
        services.AddEngineClock();
        services.AddSingleton<PostgresJournal>();
        services.AddSingleton<IJournal>(sp => sp.GetRequiredService<PostgresJournal>());
        services.AddHostedService(sp => sp.GetRequiredService<PostgresJournal>());
        services.TryAddSingleton<IAuditLog, PostgresAuditLog>();
        services.AddSingleton<OkrGrid.Engine.Structure.StructureStore>();
        services.AddSingleton<OkrGrid.Engine.Structure.IStructureStore>(sp => sp.GetRequiredService<OkrGrid.Engine.Structure.StructureStore>());
        services.AddSingleton<LocalScores>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ChangeFeedPublisher>();
        services.AddHostedService(sp => sp.GetRequiredService<ChangeFeedPublisher>());
        // In a cluster: objectives here re-read their children when another silo dies (see SiloLossRepair).
        services.AddSingleton<ActiveObjectives>();
        services.AddHostedService<SiloLossRepair>();
        AllowDatabaseExceptionsOnTheWire(services);
        // Calls to addresses users typed (webhooks, pull sources): the "Outbound" section, private networks refused.
        services.AddOptions<OkrGrid.Engine.Integrations.OutboundOptions>().BindConfiguration("Outbound");
        services.TryAddSingleton<OkrGrid.Engine.Integrations.OutboundHttp>();
        // Data sources of key results and KPIs (push ingest, HTTP and SQL pulls): the "Sources" section.
        services.AddOptions<OkrGrid.Engine.Integrations.SourceOptions>().BindConfiguration("Sources");
        OkrGrid.Engine.Integrations.SourceServices.AddOkrGridSources(services);
        // Outbound webhooks and check-in reminders: the "Webhooks" section (retries, polling, the company).
        services.AddOptions<OkrGrid.Engine.Integrations.Webhooks.WebhookOptions>().BindConfiguration("Webhooks");
        OkrGrid.Engine.Integrations.Webhooks.WebhookServices.AddOkrGridWebhooks(services);

        // A whole organisation stays in memory while it is used; idle nodes leave after an hour.
        silo.Configure<GrainCollectionOptions>(o => o.CollectionAge = TimeSpan.FromHours(1));
        return silo;
    }

    /// <summary>
    /// A database failure inside a grain must reach the caller as what it is — the API answers it with 503 and
    /// Retry-After. Orleans serializes exceptions only from the namespaces it is told of ("Microsoft", "System",
    /// "Azure"); without "Npgsql" a silo could not send an NpgsqlException to a client in another process, and the web
    /// host received "could not find a codec" — a 500 — for every check-in during a database outage.
    /// </summary>
    public static void AllowDatabaseExceptionsOnTheWire(IServiceCollection services) =>
        services.Configure<Orleans.Serialization.ExceptionSerializationOptions>(o => o.SupportedNamespacePrefixes.Add("Npgsql"));

    /// <summary>
    /// One pool for the journal and grain storage. The same few statements run thousands of times a second, so
    /// they are prepared automatically (unless the connection string says otherwise).
    /// </summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var given = new NpgsqlConnectionStringBuilder(connectionString);
        if (given.MaxAutoPrepare == 0) builder.ConnectionStringBuilder.MaxAutoPrepare = 32;
        // PostgreSQL shares the machine: a burst of activations must queue for a connection rather than open a
        // hundred backends that starve each other (and time out).
        if (!connectionString.Contains("Maximum Pool Size", StringComparison.OrdinalIgnoreCase)
            && !connectionString.Contains("Max Pool Size", StringComparison.OrdinalIgnoreCase))
            builder.ConnectionStringBuilder.MaxPoolSize = 32;
        return builder.Build();
    }

    /// <summary>
    /// The configured connection string as given (null or blank: none), refused at start-up naming the setting when
    /// Npgsql cannot read it — rather than at the first query, with the provider's stack trace.
    /// </summary>
    public static string? CheckConnectionString(string? configured)
    {
        if (string.IsNullOrWhiteSpace(configured)) return null;
        try
        {
            _ = new NpgsqlConnectionStringBuilder(configured);
            return configured;
        }
        catch (ArgumentException e)
        {
            throw new Hosting.OkrGridConfigurationException($"{ConnectionStringKey} is not a PostgreSQL connection string Npgsql can read ({e.Message}); expected e.g. Host=db;Username=okrgrid;Password=…;Database=okrgrid.");
        }
    }

    /// <summary>
    /// The connection string to use: OKRGRID_POSTGRES from configuration or the environment when given, else the
    /// embedded PostgreSQL of deploy/pg.sh, started if needed.
    /// </summary>
    public static async Task<string> ResolveConnectionStringAsync(string? configured, ILogger logger, CancellationToken ct = default) =>
        (await ResolveDatabaseAsync(configured, logger, ct)).ConnectionString;

    /// <summary>
    /// As <see cref="ResolveConnectionStringAsync"/>, and whether this call started the embedded server (false when one
    /// was given, or the embedded server was already running): a host stops only what it started.
    /// </summary>
    public static async Task<(string ConnectionString, bool StartedEmbedded)> ResolveDatabaseAsync(string? configured, ILogger logger, CancellationToken ct = default)
    {
        if (!string.IsNullOrWhiteSpace(configured)) return (configured, false);
        if (EmbeddedPostgres.FromEnvironment() is { } fromEnv) return (fromEnv, false);
        var running = await EmbeddedPostgres.IsRunningAsync(ct);
        if (running)
            logger.LogInformation("No {Key} given: using the embedded PostgreSQL (deploy/pg.sh), already running; it keeps running when this host stops.", ConnectionStringKey);
        else
            logger.LogInformation("No {Key} given: starting the embedded PostgreSQL (deploy/pg.sh); this host stops it again when it stops.", ConnectionStringKey);
        return (await EmbeddedPostgres.EnsureStartedAsync(null, logger, ct), !running);
    }

    private sealed class MigrationParticipant(NpgsqlDataSource dataSource, ILogger<MigrationParticipant> logger)
        : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(MigrationParticipant), ServiceLifecycleStage.RuntimeInitialize,
                ct => DatabaseMigrator.MigrateAsync(dataSource, logger, ct));
    }
}
