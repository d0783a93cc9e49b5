using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;

namespace OkrGrid.Web.Access;

/// <summary>
/// The Data Protection key ring (which encrypts session cookies and antiforgery tokens) in PostgreSQL, so every web
/// host of the service reads the same keys and a restart signs nobody out. Keys are stored as Data Protection writes
/// them; protect the database as you protect the sessions.
/// </summary>
public sealed class PostgresXmlRepository(NpgsqlDataSource dataSource) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var cmd = dataSource.CreateCommand("select xml from okr_dataprotection_keys order by created_at");
        using var reader = cmd.ExecuteReader();
        var keys = new List<XElement>();
        while (reader.Read()) keys.Add(XElement.Parse(reader.GetString(0)));
        return keys;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var cmd = dataSource.CreateCommand("insert into okr_dataprotection_keys (name, xml) values (@name, @xml) on conflict (name) do nothing");
        cmd.Parameters.AddWithValue("name", friendlyName);
        cmd.Parameters.AddWithValue("xml", element.ToString(SaveOptions.DisableFormatting));
        cmd.ExecuteNonQuery();
    }
}
