namespace OpenSslTls.Tests.Packaging;

/// <summary>
/// The package tests pack, restore and build with the real <c>dotnet</c> (about a minute): their own collection, so
/// they run beside the other collections instead of holding one up.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PackagingCollection : ICollectionFixture<PackedFeed>
{
    public const string Name = "Packaging";
}
