using Chat.RagService.Documents;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Chat.RagService.Data;

/// <summary>Chat.RagService's database (<c>ragdb</c>): documents and their chunks; the messages of the team memory and theirs.</summary>
public sealed class RagDbContext(DbContextOptions<RagDbContext> options) : DbContext(options)
{
    public DbSet<Document> Documents => Set<Document>();
    public DbSet<Chunk> Chunks => Set<Chunk>();
    public DbSet<Memory.MemoryMessage> MemoryMessages => Set<Memory.MemoryMessage>();
    public DbSet<Memory.MemoryChunk> MemoryChunks => Set<Memory.MemoryChunk>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Document>(doc =>
        {
            doc.ToTable("documents");
            doc.HasKey(d => d.Id);
            doc.Property(d => d.Name).HasMaxLength(255);
            doc.Property(d => d.ContentType).HasMaxLength(100);
            doc.Property(d => d.Sha256).HasMaxLength(64);
            doc.Property(d => d.Model).HasMaxLength(100);
            doc.Property(d => d.FailureReason).HasMaxLength(1000);
            doc.HasIndex(d => d.OwnerId);
            doc.HasIndex(d => d.Sha256);
            doc.Property(d => d.Status).HasConversion<string>().HasMaxLength(20);
            doc.HasIndex(d => d.FileId).IsUnique();
        });
        modelBuilder.Entity<Chunk>(chunk =>
        {
            chunk.ToTable("chunks");
            chunk.HasKey(c => c.Id);
            chunk.Property(c => c.Heading).HasMaxLength(500);
            chunk.Property(c => c.Model).HasMaxLength(100);
            chunk.Property(c => c.Sha256).HasMaxLength(64);
            chunk.HasIndex(c => new { c.Sha256, c.Ordinal }).IsUnique();
        });
        modelBuilder.Entity<Memory.MemoryMessage>(message =>
        {
            message.ToTable("memory_messages");
            message.HasKey(m => m.Id);
            message.HasIndex(m => m.Revision).IsUnique();
            message.HasIndex(m => new { m.ChannelId, m.Seq });
        });
        modelBuilder.Entity<Memory.MemoryChunk>(chunk =>
        {
            chunk.ToTable("memory_chunks");
            chunk.HasKey(c => c.Id);
            chunk.HasIndex(c => new { c.MessageId, c.Ordinal }).IsUnique();
        });
    }
}

/// <summary>Lets <c>dotnet ef</c> build the model without starting the service.</summary>
internal sealed class RagDbContextFactory : IDesignTimeDbContextFactory<RagDbContext>
{
    public RagDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<RagDbContext>().UseNpgsql("Host=localhost;Database=ragdb").Options);
}
