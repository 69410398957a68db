Console.WriteLine("rookery");
