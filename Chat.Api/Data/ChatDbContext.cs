using Chat.Api.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Chat.Api.Data;

/// <summary>Chat.Api's database (<c>chatdb</c>).</summary>
public sealed class ChatDbContext(DbContextOptions<ChatDbContext> options) : DbContext(options)
{
    public DbSet<Channel> Channels => Set<Channel>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Channel>(channel =>
        {
            channel.ToTable("channels");
            channel.HasKey(c => c.Id);
            channel.Property(c => c.Name).HasMaxLength(Channel.MaxNameLength);
            channel.HasIndex(c => c.Name).IsUnique();
        });
    }
}

/// <summary>Lets <c>dotnet ef</c> build the model without starting the service.</summary>
internal sealed class ChatDbContextFactory : IDesignTimeDbContextFactory<ChatDbContext>
{
    public ChatDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ChatDbContext>().UseNpgsql("Host=localhost;Database=chatdb").Options);
}
