namespace Rookery.Blobs;
