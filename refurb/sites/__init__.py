"""Sites: the places of the network (EPN, France Services, workshop, the bus…)."""
