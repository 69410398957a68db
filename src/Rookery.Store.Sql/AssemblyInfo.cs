namespace Rookery.Store.Sql;
