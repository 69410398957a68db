namespace Rookery.Store;
