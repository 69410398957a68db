namespace Rookery.Common;
