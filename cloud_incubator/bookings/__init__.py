"""IP-workstation consultations (知识产权公共服务工作站): availability, slots, bookings, waitlist, iCalendar."""
