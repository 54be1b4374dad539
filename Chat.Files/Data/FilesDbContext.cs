using ChatAspire.Messaging;
using Chat.Files.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Chat.Files.Data;

/// <summary>Chat.Files' database (<c>filesdb</c>): file metadata and the event outbox; the bytes live in blob storage.</summary>
public sealed class FilesDbContext(DbContextOptions<FilesDbContext> options) : DbContext(options), IOutboxContext
{
    public DbSet<StoredFile> Files => Set<StoredFile>();
    public DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<StoredFile>(file =>
        {
            file.ToTable("files");
            file.HasKey(f => f.Id);
            file.Property(f => f.Name).HasMaxLength(StoredFile.MaxNameLength);
            file.Property(f => f.ContentType).HasMaxLength(100);
            file.Property(f => f.Sha256).HasMaxLength(64).IsFixedLength();
            file.HasIndex(f => new { f.OwnerId, f.CreatedAt });
            file.HasIndex(f => f.Sha256);
        });
        modelBuilder.ConfigureOutbox();
    }
}

/// <summary>Lets <c>dotnet ef</c> build the model without starting the service.</summary>
internal sealed class FilesDbContextFactory : IDesignTimeDbContextFactory<FilesDbContext>
{
    public FilesDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<FilesDbContext>().UseNpgsql("Host=localhost;Database=filesdb").Options);
}
