using Chat.Api.Accounts;
using Chat.Api.Ai;
using ChatAspire.Messaging;
using Chat.Api.Channels;
using Chat.Api.Messages;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Chat.Api.Data;

/// <summary>Chat.Api's database (<c>chatdb</c>).</summary>
public sealed class ChatDbContext(DbContextOptions<ChatDbContext> options) : DbContext(options), IOutboxContext, IDataProtectionKeyContext
{
    public DbSet<User> Users => Set<User>();
    public DbSet<RefreshToken> RefreshTokens => Set<RefreshToken>();
    public DbSet<BotToken> BotTokens => Set<BotToken>();
    public DbSet<RevokedToken> RevokedTokens => Set<RevokedToken>();
    public DbSet<Channel> Channels => Set<Channel>();
    public DbSet<ChannelMember> Members => Set<ChannelMember>();
    public DbSet<Message> Messages => Set<Message>();
    public DbSet<Reaction> Reactions => Set<Reaction>();
    public DbSet<MessageEdit> MessageEdits => Set<MessageEdit>();
    public DbSet<AiJob> AiJobs => Set<AiJob>();
    public DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();
    public DbSet<Attachments.KnownFile> KnownFiles => Set<Attachments.KnownFile>();
    public DbSet<Webhooks.IncomingWebhook> IncomingWebhooks => Set<Webhooks.IncomingWebhook>();
    public DbSet<Webhooks.OutgoingWebhook> OutgoingWebhooks => Set<Webhooks.OutgoingWebhook>();
    public DbSet<Webhooks.OutgoingDelivery> OutgoingDeliveries => Set<Webhooks.OutgoingDelivery>();
    public DbSet<Audit.AuditEntry> AuditEntries => Set<Audit.AuditEntry>();

    /// <summary>The key ring every replica shares (single sign-on's state and correlation cookies are protected with it).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<User>(user =>
        {
            user.ToTable("users");
            user.HasKey(u => u.Id);
            user.Property(u => u.UserName).HasMaxLength(User.MaxUserNameLength);
            user.Property(u => u.DisplayName).HasMaxLength(User.MaxDisplayNameLength);
            user.Property(u => u.Role).HasMaxLength(16);
            user.HasIndex(u => u.UserName).IsUnique();
            user.Property(u => u.ExternalIssuer).HasMaxLength(256);
            user.Property(u => u.ExternalSubject).HasMaxLength(256);
            user.HasIndex(u => new { u.ExternalIssuer, u.ExternalSubject }).IsUnique().HasFilter("\"ExternalSubject\" IS NOT NULL");
            user.HasData(new User
            {
                Id = User.AssistantId,
                UserName = User.AssistantUserName,
                DisplayName = "Assistant",
                Role = "user",
                IsSystem = true,
                CreatedAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            });
        });
        modelBuilder.Entity<BotToken>(token =>
        {
            token.ToTable("bot_tokens");
            token.HasKey(t => t.Id);
            token.Property(t => t.TokenHash).HasMaxLength(64);
            token.HasIndex(t => t.TokenHash).IsUnique();
            token.HasIndex(t => t.UserId);
            token.HasOne<User>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<RefreshToken>(token =>
        {
            token.ToTable("refresh_tokens");
            token.HasKey(t => t.Id);
            token.Property(t => t.TokenHash).HasMaxLength(64);
            token.HasIndex(t => t.TokenHash).IsUnique();
            token.HasIndex(t => t.FamilyId);
            token.HasOne<User>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<RevokedToken>(revoked =>
        {
            revoked.ToTable("token_revocations");
            revoked.HasKey(r => r.Id);
            revoked.HasIndex(r => r.SessionId).HasFilter("\"SessionId\" IS NOT NULL");
            revoked.HasIndex(r => r.ExpiresAt);
        });
        modelBuilder.Entity<Channel>(channel =>
        {
            channel.ToTable("channels");
            channel.HasKey(c => c.Id);
            channel.Property(c => c.Name).HasMaxLength(Channel.MaxNameLength);
            channel.Property(c => c.Topic).HasMaxLength(Channel.MaxTopicLength);
            channel.Property(c => c.Kind).HasMaxLength(16);
            channel.Property(c => c.DirectKey).HasMaxLength(80);
            channel.HasIndex(c => c.Name).IsUnique().HasFilter("\"Kind\" <> 'direct'");
            channel.HasIndex(c => c.DirectKey).IsUnique();
        });
        modelBuilder.Entity<ChannelMember>(member =>
        {
            member.ToTable("channel_members");
            member.HasKey(m => new { m.ChannelId, m.UserId });
            member.Property(m => m.Role).HasMaxLength(16);
            member.HasIndex(m => m.UserId);
            member.HasOne<Channel>().WithMany().HasForeignKey(m => m.ChannelId).OnDelete(DeleteBehavior.Cascade);
            member.HasOne<User>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<Message>(message =>
        {
            message.ToTable("messages");
            message.HasKey(m => m.Id);
            message.Property(m => m.Type).HasMaxLength(16);
            message.Property(m => m.Citations).HasColumnType("jsonb");
            message.Property(m => m.AuthorName).HasMaxLength(User.MaxDisplayNameLength);
            message.HasIndex(m => new { m.ChannelId, m.Seq }).IsUnique();
            // GIN without the pending list (fastupdate off): with it, whichever insert finds the list past gin_pending_list_limit
            // merges it into the index inside its own transaction, a stall of the whole group commit; as the table grows,
            // autovacuum (which also empties the list) comes ever more rarely, so those stalls come more often the longer the system runs (PostgreSQL docs, "GIN Fast Update Technique").
            message.HasIndex(m => m.Attachments).HasMethod("GIN").HasStorageParameter("fastupdate", false); // "where was this file shared"
            message.HasIndex(m => m.Mentions).HasMethod("GIN").HasStorageParameter("fastupdate", false); // "where was I mentioned"
            message.HasIndex(m => m.ReplyToId).HasFilter("\"ReplyToId\" IS NOT NULL"); // a thread's replies, reply counts
            message.HasIndex(m => new { m.ChannelId, m.SenderId, m.ClientMessageId }).IsUnique().HasFilter("\"ClientMessageId\" IS NOT NULL");
            message.HasGeneratedTsVectorColumn(m => m.SearchVector, "simple", m => new { m.Content }).HasIndex(m => m.SearchVector).HasMethod("GIN")
                .HasStorageParameter("fastupdate", false);
            message.HasOne<Channel>().WithMany().HasForeignKey(m => m.ChannelId).OnDelete(DeleteBehavior.Cascade);
            message.HasOne<User>().WithMany().HasForeignKey(m => m.SenderId).OnDelete(DeleteBehavior.Restrict);
            message.HasMany(m => m.Reactions).WithOne().HasForeignKey(r => r.MessageId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<MessageEdit>(edit =>
        {
            edit.ToTable("message_edits");
            edit.HasKey(e => e.Id);
            edit.HasIndex(e => e.MessageId);
            edit.HasOne<Message>().WithMany().HasForeignKey(e => e.MessageId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<Reaction>(reaction =>
        {
            reaction.ToTable("reactions");
            reaction.HasKey(r => new { r.MessageId, r.UserId, r.Emoji });
            reaction.Property(r => r.Emoji).HasMaxLength(Reaction.MaxEmojiLength);
        });
        modelBuilder.Entity<AiJob>(job =>
        {
            job.ToTable("ai_jobs");
            job.HasKey(j => j.Id);
            job.Property(j => j.Status).HasMaxLength(16);
            job.HasIndex(j => j.MessageId).IsUnique();
            job.HasIndex(j => j.CreatedAt).HasFilter("\"CompletedAt\" IS NULL");
            job.HasOne<Channel>().WithMany().HasForeignKey(j => j.ChannelId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.ConfigureOutbox();
        modelBuilder.Entity<Attachments.KnownFile>(file =>
        {
            file.ToTable("known_files");
            file.HasKey(f => f.Id);
            file.Property(f => f.Id).ValueGeneratedNever();
            file.Property(f => f.Name).HasMaxLength(Attachments.KnownFile.MaxNameLength);
            file.Property(f => f.ContentType).HasMaxLength(128);
        });
        modelBuilder.Entity<Webhooks.IncomingWebhook>(webhook =>
        {
            webhook.ToTable("incoming_webhooks");
            webhook.HasKey(w => w.Id);
            webhook.Property(w => w.Name).HasMaxLength(Webhooks.IncomingWebhook.MaxNameLength);
            webhook.Property(w => w.SecretHash).HasMaxLength(64);
            webhook.HasIndex(w => w.ChannelId);
            webhook.HasOne<Channel>().WithMany().HasForeignKey(w => w.ChannelId).OnDelete(DeleteBehavior.Cascade);
            webhook.HasOne<User>().WithMany().HasForeignKey(w => w.BotUserId).OnDelete(DeleteBehavior.Restrict);
        });
        modelBuilder.Entity<Webhooks.OutgoingWebhook>(webhook =>
        {
            webhook.ToTable("outgoing_webhooks");
            webhook.HasKey(w => w.Id);
            webhook.Property(w => w.Url).HasMaxLength(Webhooks.OutgoingWebhook.MaxUrlLength);
            webhook.HasIndex(w => w.ChannelId);
            webhook.HasOne<Channel>().WithMany().HasForeignKey(w => w.ChannelId).OnDelete(DeleteBehavior.Cascade);
            webhook.HasOne<User>().WithMany().HasForeignKey(w => w.BotUserId).OnDelete(DeleteBehavior.Restrict);
        });
        modelBuilder.Entity<Webhooks.OutgoingDelivery>(delivery =>
        {
            delivery.ToTable("outgoing_deliveries");
            delivery.HasKey(d => d.Id);
            delivery.Property(d => d.Status).HasMaxLength(16);
            delivery.Property(d => d.LastError).HasMaxLength(300);
            delivery.HasIndex(d => new { d.WebhookId, d.Id });
            delivery.HasIndex(d => d.NextAttemptAt).HasFilter("\"Status\" = 'pending'"); // what is due
            delivery.HasOne<Webhooks.OutgoingWebhook>().WithMany().HasForeignKey(d => d.WebhookId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<Audit.AuditEntry>(entry =>
        {
            // No foreign keys: an entry outlives whatever it names (a deleted channel, a revoked webhook).
            entry.ToTable("audit_entries");
            entry.HasKey(e => e.Id);
            entry.Property(e => e.Id).UseIdentityAlwaysColumn();
            entry.Property(e => e.Action).HasMaxLength(32);
            entry.Property(e => e.ActorName).HasMaxLength(Audit.AuditEntry.MaxNameLength);
            entry.Property(e => e.TargetType).HasMaxLength(16);
            entry.Property(e => e.TargetId).HasMaxLength(64);
            entry.Property(e => e.Source).HasMaxLength(64);
            entry.Property(e => e.Outcome).HasMaxLength(16);
            entry.Property(e => e.Detail).HasMaxLength(Audit.AuditEntry.MaxDetailLength);
            entry.Property(e => e.TraceId).HasMaxLength(32);
            entry.HasIndex(e => new { e.Action, e.Id }); // ?action=, newest first
            entry.HasIndex(e => new { e.ActorId, e.Id }); // ?actor=<id>
            entry.HasIndex(e => new { e.ActorName, e.Id }); // ?actor=<name>
        });
        modelBuilder.Entity<DataProtectionKey>().ToTable("data_protection_keys");
    }
}

/// <summary>Lets <c>dotnet ef</c> build the model without starting the service.</summary>
internal sealed class ChatDbContextFactory : IDesignTimeDbContextFactory<ChatDbContext>
{
    public ChatDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ChatDbContext>().UseNpgsql("Host=localhost;Database=chatdb").Options);
}
