"""Signal-processing building blocks shared by protocols and stages."""
