namespace Rookery.Directory;
