"""Hand-written vocabulary for the synthetic district generator (``matchengine.synth``).

Everything here was written for this project: rough, skewed frequency weights (so common
names repeat the way they do in real rosters), nickname and preferred-name variants in English
and Spanish, school name parts, places and job titles.  Weights are relative, not statistics.

Line formats (``|``-separated, ``#`` starts a comment):

* first names: ``name|student weight|adult weight|gender|tag|nick,nick``; tag ``x`` marks
  names whose bearers often use an unrelated English preferred name (Vietnamese, Chinese,
  Korean), ``c`` a compound given name (``Juan Carlos``) that apps often shorten.
* last names: ``name|weight|tag``; tag ``h`` Hispanic (used for two-part surnames), ``p``
  a single surname with a particle, apostrophe or space (``De La Cruz``, ``O'Brien``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from matchengine.errors import UsageError


def check_size_and_noise(records: object, noise: float) -> None:
    """Refuse a generator's ``--records`` that is not a positive whole number, or a
    ``--noise`` that is not a finite number >= 0 (shared by every generator)."""
    if isinstance(records, bool) or not isinstance(records, int) or records < 1:
        raise UsageError(f"--records must be a positive whole number, not {records!r}")
    if not math.isfinite(noise) or noise < 0:
        raise UsageError(f"--noise must be a number >= 0 (1.0 = realistic), not {noise!r}")


_FIRST_NAMES = """
# ---- girls / women
Sophia|90|5|F||Sophie,Sofi
Olivia|95|8|F||Liv,Livvy
Emma|100|10|F||Em,Emmy
Ava|80|3|F||
Eva|20|3|F||Evie
Isabella|85|4|F||Bella,Izzy,Isa
Mia|75|3|F||
Maya|22|1|F||
Amelia|60|2|F||Millie,Amy
Harper|45|1|F||
Evelyn|45|6|F||Evie,Eve
Abigail|50|4|F||Abby,Abbie,Gail
Emily|55|30|F||Em,Emmy,Millie
Elizabeth|40|45|F||Liz,Beth,Lizzie,Eliza,Betsy,Libby
Madison|45|6|F||Maddie,Maddy
Chloe|40|2|F||
Chloé|6|1|F||
Zoe|35|1|F||
Zoë|8|1|F||
Zoey|12|0|F||
Ella|40|1|F||Ellie
Avery|35|1|F||
Scarlett|30|0|F||Scar,Lettie
Grace|35|8|F||Gracie
Lily|35|1|F||Lil,Lils
Lila|12|0|F||
Aria|30|0|F||
Ariana|18|1|F||Ari
Layla|30|0|F||
Camila|35|0|F||Cami,Mila
Sofía|25|0|F||Sofi
Valentina|25|0|F||Vale,Tina
Ximena|15|0|F||Xime
Lucía|12|0|F||Lucy
María|40|30|F||Mari,Maru
Guadalupe|15|10|F||Lupe,Lupita
Daniela|20|2|F||Dani
Danielle|8|10|F||Dani,Elle
Natalia|18|3|F||Nati,Talia
Gabriela|15|5|F||Gabi,Gaby
Alejandra|12|6|F||Ale,Alex,Jandra
Fernanda|10|0|F||Fer,Fernie
Valeria|20|0|F||Vale
Carla|6|4|F||
Jasmine|20|8|F||Jas,Jazzy
Destiny|15|2|F||Desi
Aaliyah|25|0|F||Liyah,Ali
Nevaeh|15|0|F||
Imani|10|1|F||
Jada|10|2|F||
Kiara|8|2|F||Kiki
Tiana|6|2|F||Tia
Kayla|20|4|F||Kay
Kylie|15|1|F||Ky
Hailey|25|1|F||Hails
Haley|10|2|F||
Brianna|18|3|F||Bri,Bree
Ashley|12|40|F||Ash
Jessica|8|50|F||Jess,Jessie
Jennifer|5|70|F||Jen,Jenny,Jenn
Sarah|20|55|F||Sally,Sadie
Michelle|5|40|F||Shelly,Chelle
Amanda|4|40|F||Mandy,Manda
Melissa|4|40|F||Mel,Missy
Stephanie|6|35|F||Steph,Stephie
Nicole|6|35|F||Nikki,Nic
Rebecca|6|30|F||Becky,Becca
Laura|5|30|F||Laurie
Lisa|2|35|F||
Karen|1|30|F||
Susan|1|30|F||Sue,Susie
Patricia|2|30|F||Patty,Pat,Trish,Tricia
Linda|1|25|F||Lindy
Barbara|1|20|F||Barb,Barbie
Margaret|3|20|F||Maggie,Meg,Peggy,Margie
Katherine|15|30|F||Kate,Katie,Kathy,Kat
Catherine|6|15|F||Cathy,Cat,Kate
Victoria|18|8|F||Tori,Vicky
Alexandra|12|5|F||Alex,Lexi,Allie
Samantha|15|10|F||Sam,Sammy
Natalie|20|8|F||Nat
Hannah|18|6|F||
Anna|15|10|F||Annie
Leah|18|4|F||
Nora|15|1|F||
Riley|15|0|F||
Penelope|15|0|F||Penny
Christina|3|25|F||Chris,Tina,Christy
Kimberly|4|30|F||Kim,Kimmy
Angela|3|30|F||Angie
Heather|1|25|F||
Amy|3|30|F||
Andrea|5|20|F||Andie
Mary|5|35|F||Molly,Mae
Dolores|1|4|F||Lola,Lolita
Rosario|2|5|F||Chayo
Graciela|2|5|F||Chela
Concepción|1|4|F||Concha,Conchita
Renée|3|8|F||
Brooklyn|15|0|F||Brook
Savannah|15|0|F||Savvy
Peyton|12|0|F||
Claire|12|4|F||
Audrey|10|2|F||
Ruby|10|1|F||
Stella|12|0|F||
Hazel|12|0|F||
Violet|12|0|F||Vi
Aurora|12|0|F||Rory
Naomi|12|2|F||
Skylar|10|0|F||Sky
Paisley|10|0|F||
Genesis|10|0|F||
Kennedy|8|0|F||
Jordyn|6|0|F||
Morgan|4|5|F||
Taylor|5|4|F||Tay
Ebony|1|6|F||
Keisha|1|6|F||
Latoya|0|6|F||
Linh|8|4|F|x|
Thao|4|4|F|x|
Ngoc|5|4|F|x|
Huong|2|4|F|x|
Mai|5|5|F|x|
Trang|4|3|F|x|
Anh|6|3|F|x|
Mei|4|3|F|x|
Yan|3|3|F|x|
Jing|3|3|F|x|
Ying|2|2|F|x|
Ji-woo|3|0|F|x|
Seo-yeon|3|0|F|x|
Min-ji|2|2|F|x|
Priya|8|5|F||
Ananya|6|1|F||Anu
Aditi|4|2|F||
Diya|5|0|F||
Kavya|4|0|F||
Sneha|2|3|F||
Fatima|8|4|F||Fati
Aisha|6|2|F||
Mariam|5|2|F||
Noor|4|1|F||
Zainab|4|1|F||Zee
Deborah|0|12|F||Debbie,Deb
Cynthia|0|10|F||Cindy
Tammy|0|8|F||
Denise|0|8|F||
Tracy|0|8|F||
Dawn|0|6|F||
Wendy|1|8|F||
Rachel|6|14|F||Rach
Erin|4|12|F||
Megan|5|15|F||Meg
Crystal|1|8|F||
Tiffany|1|10|F||Tiff
Kristen|1|10|F||Kris
Monica|2|10|F||
Veronica|3|8|F||Roni
Yolanda|0|6|F||Yoli
Yvonne|0|5|F||
María José|4|1|F|c|Majo
Ana María|3|2|F|c|Anamari
Mary Kate|2|1|F|c|
Anne Marie|1|2|F|c|
# ---- boys / men
Liam|100|2|M||
Noah|95|2|M||
Oliver|70|2|M||Ollie
Elijah|70|2|M||Eli
James|60|40|M||Jim,Jimmy,Jamie
William|60|40|M||Will,Bill,Billy,Liam
Benjamin|55|10|M||Ben,Benny
Lucas|50|2|M||Luke
Henry|40|5|M||Hank
Alexander|50|10|M||Alex,Xander,Al
Mason|45|1|M||
Michael|40|70|M||Mike,Mikey,Mick
Ethan|45|3|M||
Evan|20|5|M||
Daniel|45|40|M||Dan,Danny
Jacob|40|8|M||Jake
Logan|35|1|M||
Jackson|35|1|M||Jack
Levi|30|0|M||
Sebastian|30|0|M||Seb,Bastian
Mateo|35|0|M||Teo
Marco|8|3|M||
Jack|30|1|M||
Owen|30|2|M||
Theodore|25|1|M||Theo,Ted,Teddy
Aiden|30|1|M||
Ayden|10|0|M||
Samuel|30|8|M||Sam,Sammy
Joseph|30|40|M||Joe,Joey
John|20|50|M||Johnny,Jack
David|25|60|M||Dave,Davey
Wyatt|20|0|M||
Matthew|30|40|M||Matt,Matty
Luke|20|2|M||
Asher|20|0|M||
Carter|20|0|M||
Julian|20|2|M||Jules
Grayson|20|0|M||Gray
Leo|20|0|M||
Jayden|25|0|M||Jay
Jaylen|12|0|M||
Jaden|10|0|M||
Gabriel|25|5|M||Gabe
Isaac|22|2|M||Ike,Zac
Isaiah|18|1|M||Zay
Lincoln|15|0|M||Linc
Anthony|25|30|M||Tony,Ant
Hudson|12|0|M||
Dylan|20|2|M||
Ezra|15|0|M||
Thomas|20|35|M||Tom,Tommy
Charles|15|30|M||Charlie,Chuck,Chas
Christopher|20|60|M||Chris,Topher
Jaxon|15|0|M||Jax
Maverick|12|0|M||Mav
Josiah|15|0|M||Joe
Andrew|20|30|M||Andy,Drew
Elias|15|0|M||Eli
Joshua|20|20|M||Josh
Nathan|18|10|M||Nate
Caleb|18|2|M||Cal
Ryan|15|25|M||
Adrian|15|5|M||
Miles|12|0|M||
Nolan|12|0|M||
Christian|15|5|M||Chris
Aaron|12|15|M||
Cameron|12|3|M||Cam
Ezekiel|8|0|M||Zeke
Colton|10|0|M||Colt
Angel|15|3|M||
Ángel|6|2|M||
Dominic|10|2|M||Dom
Austin|10|3|M||
Brayden|10|0|M||Bray
Brandon|8|8|M||Bran
Jeremiah|12|1|M||Jerry
Robert|10|50|M||Bob,Bobby,Rob,Robbie,Bert
Richard|5|35|M||Rick,Rich,Ricky,Dick
Kevin|6|35|M||Kev
Brian|5|35|M||
Steven|4|30|M||Steve
Mark|3|30|M||
Paul|3|25|M||
Jason|4|35|M||Jay
Jeffrey|2|30|M||Jeff
Timothy|4|25|M||Tim,Timmy
Gregory|2|20|M||Greg
Scott|1|25|M||Scotty
Eric|4|30|M||
Kenneth|2|20|M||Ken,Kenny
Donald|1|15|M||Don,Donnie
Gary|0|15|M||
Edward|3|20|M||Ed,Eddie,Ted,Ned
Patrick|4|20|M||Pat,Paddy
Peter|3|15|M||Pete
José|30|25|M||Pepe,Joe,Chepe
Jose|15|15|M||Pepe,Joe
Juan|20|25|M||Juanito
Luis|20|20|M||Lucho
Carlos|18|20|M||Carlitos,Charlie
Jesús|12|10|M||Chuy,Chucho
Francisco|10|15|M||Paco,Pancho,Frank,Cisco
Miguel|15|15|M||Mike
Alejandro|18|10|M||Alex,Ale,Jandro
Diego|18|3|M||
Santiago|20|0|M||Santi
Emiliano|12|0|M||Emi
Leonardo|15|2|M||Leo
Eduardo|8|10|M||Lalo,Eddie
Roberto|5|10|M||Beto,Rob
Alberto|3|8|M||Beto,Al
Ignacio|3|4|M||Nacho
Enrique|3|6|M||Kike,Henry
Guillermo|3|6|M||Memo,Willie
Manuel|5|10|M||Manny,Manolo
Rafael|6|6|M||Rafa
Ricardo|5|8|M||Rick,Ricky
Javier|8|8|M||Javi
Héctor|4|6|M||
Raúl|4|6|M||
Martín|6|4|M||
Andrés|6|4|M||Andy
Joaquín|6|1|M||
Sebastián|8|0|M||Sebas
Minh|6|4|M|x|
Duc|3|3|M|x|
Huy|5|2|M|x|
Khang|5|1|M|x|
Bao|5|1|M|x|
Tuan|2|4|M|x|
Quang|2|3|M|x|
Phuc|3|1|M|x|
Wei|4|4|M|x|
Jun|3|3|M|x|
Hao|3|1|M|x|
Jian|2|3|M|x|
Min-jun|3|0|M|x|
Ji-ho|2|0|M|x|
Dong-hyun|1|2|M|x|
Arjun|8|2|M||
Aarav|8|0|M||
Rohan|5|2|M||
Vikram|2|4|M||Vik
Rahul|3|5|M||
Aditya|4|1|M||Adi
Sanjay|0|4|M||
Mohammed|10|6|M||Mo
Muhammad|8|4|M||Mo
Omar|8|4|M||
Ali|8|4|M||
Yusuf|5|2|M||
Ahmed|6|5|M||
Hassan|4|3|M||
Malik|8|2|M||
Jamal|3|5|M||
Andre|5|6|M||Dre
André|3|2|M||Dre
DeShawn|4|2|M||Shawn
Darnell|1|4|M||
Douglas|1|12|M||Doug
Keith|1|10|M||
Todd|0|10|M||
Shawn|2|10|M||
Craig|0|8|M||
Travis|2|8|M||Trav
Derek|2|8|M||
Jeremy|3|12|M||Jerry,Jer
Chad|0|6|M||
Marcus|4|8|M||Marc
Russell|1|6|M||Russ
Wesley|3|5|M||Wes
Victor|5|8|M||Vic
Oscar|6|6|M||
Ruben|4|6|M||
Armando|2|6|M||Mando
Ramón|1|5|M||
Sergio|3|6|M||Checo
Juan Carlos|4|3|M|c|JC
José Luis|3|3|M|c|
Juan Pablo|2|1|M|c|
"""

_LAST_NAMES = """
Smith|100|
Johnson|80|
Williams|70|
Brown|65|
Jones|62|
Garcia|45|h
García|15|h
Miller|55|
Davis|55|
Rodriguez|40|h
Rodríguez|12|h
Martinez|38|h
Martínez|12|h
Hernandez|38|h
Hernández|12|h
Lopez|35|h
López|10|h
Gonzalez|35|h
González|10|h
Wilson|40|
Anderson|40|
Thomas|38|
Taylor|38|
Moore|36|
Jackson|36|
Martin|35|
Lee|35|
Perez|25|h
Pérez|8|h
Thompson|33|
White|33|
Harris|31|
Sanchez|22|h
Sánchez|8|h
Clark|28|
Ramirez|22|h
Ramírez|6|h
Lewis|26|
Robinson|26|
Walker|25|
Young|24|
Allen|24|
King|24|
Wright|23|
Scott|22|
Torres|22|h
Nguyen|30|
Hill|22|
Flores|22|h
Green|21|
Adams|21|
Nelson|20|
Baker|20|
Hall|20|
Rivera|20|h
Campbell|19|
Mitchell|19|
Carter|18|
Roberts|18|
Gomez|12|h
Gómez|5|h
Phillips|17|
Evans|16|
Turner|16|
Diaz|11|h
Díaz|5|h
Parker|16|
Cruz|15|h
Edwards|15|
Collins|15|
Reyes|15|h
Stewart|15|
Morris|14|
Morales|14|h
Murphy|14|
Cook|14|
Rogers|14|
Gutierrez|9|h
Gutiérrez|4|h
Ortiz|13|h
Morgan|13|
Cooper|13|
Peterson|13|
Bailey|12|
Reed|12|
Kelly|12|
Howard|12|
Ramos|12|h
Kim|12|
Cox|11|
Ward|11|
Richardson|11|
Watson|11|
Brooks|11|
Chavez|8|h
Chávez|3|h
Wood|11|
James|11|
Bennett|10|
Gray|10|
Mendoza|10|h
Ruiz|10|h
Hughes|10|
Price|10|
Alvarez|7|h
Álvarez|3|h
Castillo|10|h
Sanders|10|
Patel|14|
Myers|9|
Long|9|
Ross|9|
Foster|9|
Jimenez|6|h
Jiménez|3|h
Muñoz|6|h
Munoz|3|h
Peña|5|h
Pena|2|h
Núñez|4|h
Nunez|2|h
Ibáñez|2|h
Cortés|3|h
Ordóñez|2|h
Castañeda|3|h
Avilés|2|h
Vargas|8|h
Castro|8|h
Romero|8|h
Herrera|8|h
Medina|7|h
Aguilar|7|h
Vasquez|6|h
Salazar|6|h
Delgado|5|h
Contreras|5|h
Guerrero|5|h
Estrada|4|h
Sandoval|4|h
Fuentes|3|h
Espinoza|4|h
Valdez|4|h
Cabrera|3|h
Rosales|3|h
Zamora|2|h
Tran|10|
Le|8|
Pham|7|
Huynh|4|
Hoang|3|
Vo|4|
Dang|3|
Bui|3|
Do|3|
Ngo|2|
Duong|2|
Truong|3|
Chen|9|
Wang|8|
Li|7|
Zhang|6|
Liu|6|
Yang|5|
Huang|5|
Zhao|2|
Wu|4|
Zhou|3|
Lin|5|
Chang|4|
Wong|5|
Park|6|
Choi|4|
Jung|3|
Kang|3|
Cho|3|
Yoon|2|
Shin|2|
Shah|4|
Singh|6|
Kumar|4|
Reddy|3|
Sharma|3|
Gupta|3|
Khan|5|
Ali|4|
Ahmed|4|
Hassan|3|
Ibrahim|2|
Mohamed|3|
Abdi|2|
Okafor|1|
Mensah|1|
Diallo|1|
Adeyemi|1|
Murray|5|
Sullivan|5|
Ryan|4|
Fitzgerald|2|
Byrne|1|
Kennedy|3|
Schmidt|3|
Mueller|2|
Müller|1|
Schneider|2|
Fischer|2|
Weber|2|
Kowalski|2|
Nowak|1|
Novak|2|
Ivanov|1|
Petrov|1|
Rossi|2|
Russo|2|
Esposito|1|
Romano|2|
Olsen|2|
Larsen|2|
Johansson|1|
Andersen|1|
O'Brien|3|p
O'Connor|3|p
O'Neill|2|p
D'Angelo|1|p
McDonald|4|p
MacDonald|2|p
McCarthy|2|p
De La Cruz|3|p
Del Rio|1|p
Van Buren|1|p
St. John|1|p
LeBlanc|2|p
DeLuca|1|p
De Jesus|2|p
"""


# Syllables for a long tail of rarer surnames (Ashford, Kowalczyk, ...): real rosters have
# thousands of surnames that appear once or twice.
def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_TAIL_PREFIXES = _words(
    "Ash Black Brad Brook Crow Dun East Fair Green Hart Hol Kings Lang Mar Mid New North "
    "Red Ring Rock Stan Stock Thorn Wal West Whit Wood Al Bar Bel Cald Carl Cran Dal Elm "
    "Fen Gar Hal Har Kel Kirk Lind Lock Mil Mor Pem Rad Ram Ros Sal Sher Sil Sum Tal Wet"
)
_TAIL_SUFFIXES = _words(
    "ford ley ton well wood field man by son ham worth stead bury dale more wick ridge"
)
_TAIL_SLAVIC = ("ski", "czyk", "ovich", "enko", "berg", "stein", "mann", "ler")

# Syllables for the many rare, modern given names children have (Kaylani, Braxton, ...).
_MODERN_PREFIXES = _words(
    "Ja Ka Bray Ay Ma Kay Ri Ad Ny Za Le Bro Ca Ari Ry Jo Ev Mal Ta Da Sa Kam Ty"
)
_MODERN_F = _words("lyn leigh lani ley ani ira ara ella ina ya")
_MODERN_M = _words("den son ton ric ander on ston")

MIDDLE_F = ("Marie", "Ann", "Lynn", "Rose", "Grace", "Elizabeth", "Nicole", "Jean", "Mae", "Renee")
MIDDLE_M = ("James", "Michael", "Lee", "Ray", "Alexander", "Joseph", "Thomas", "Allen", "Wayne")
SUFFIXES = ("Jr", "Jr.", "II", "III", "IV")

# Unrelated English names used as preferred names (Khang -> Kevin).
PREFERRED_F = ("Jenny", "Vivian", "Annie", "Tiffany", "Amy", "Linda", "Grace", "Cindy", "Joy")
PREFERRED_M = ("Kevin", "Tony", "Michael", "David", "Peter", "Andy", "Danny", "Eric", "Jimmy")

# Twins: similar first names, as parents like to give them.
TWIN_PAIRS = (
    ("Jayden", "Jaylen"),
    ("Aiden", "Ayden"),
    ("Ella", "Emma"),
    ("Isaac", "Isaiah"),
    ("Mia", "Maya"),
    ("Daniel", "Danielle"),
    ("Ethan", "Evan"),
    ("Kayla", "Kylie"),
    ("Brayden", "Brandon"),
    ("Ava", "Eva"),
    ("Noah", "Nora"),
    ("Aria", "Ariana"),
    ("Jaden", "Jordyn"),
    ("Mateo", "Marco"),
    ("Carlos", "Carla"),
    ("Gabriel", "Gabriela"),
    ("Daniel", "Daniela"),
    ("Alexander", "Alexandra"),
    ("Lily", "Lila"),
    ("Hailey", "Haley"),
)

_SCHOOL_BASE_WORDS = _words(
    "Lincoln Washington Jefferson Roosevelt Kennedy Franklin Madison Adams Jackson Hamilton "
    "Monroe Garfield Grant McKinley Wilson Hoover Truman Edison Whitman Longfellow Emerson "
    "Hawthorne Thoreau Twain Frost Irving Alcott Dickinson Audubon Carver Douglass Tubman "
    "Marshall Banneker Bethune Keller Earhart Curie Armstrong Glenn Ride Jemison Clemente "
    "Sotomayor Birch Aspen Sycamore Magnolia Cypress Riverside Lakeview Hillcrest Sunset "
    "Sunrise Meadowbrook Brookside Fairview Highland Parkside Westwood Eastwood Northgate "
    "Central Heritage Liberty Independence Freedom Pioneer Frontier Horizon Discovery Summit "
    "Harbor Bayside Canyon Prairie Stonebridge Orchard Vineyard Rosewood Laurel Juniper Alder "
    "Hickory Chestnut Walnut Poplar Redwood Sequoia Pacific Lakeside Ridgeview Woodland"
)
SCHOOL_BASES = (
    *_SCHOOL_BASE_WORDS,
    "César Chávez",
    "Oak Grove",
    "Maple Park",
    "Cedar Ridge",
    "Pine View",
    "Willow Creek",
    "Valley View",
    "Mountain View",
    "Mesa Verde",
    "Red Rock",
    "Mill Creek",
    "Fox Run",
    "Eagle Ridge",
    "Deer Park",
    "Bear Creek",
    "Rolling Hills",
    "Green Valley",
    "Silver Lake",
    "Crystal Springs",
    "Cherry Hill",
    "Garden Grove",
    "Martin Luther King Jr.",
    "Dolores Huerta",
)
SCHOOL_PREFIXES = ("North", "South", "East", "West", "New", "Upper", "Lower", "Old")

CITIES = _words(
    "Springfield Riverton Fairfield Greenville Clinton Georgetown Salem Ashland Milford "
    "Oakdale Brookfield Lakewood Centerville Bristol Dover Kingston Newport Arlington "
    "Burlington Manchester Marion Oxford Hudson Jackson Auburn Dayton Lexington Winchester"
)
STATES = ("CA", "TX", "FL", "NY", "IL", "OH", "GA", "NC", "MI", "AZ", "WA", "CO", "OR", "NM")
STREETS = (
    "Main St",
    "Oak Ave",
    "Maple Dr",
    "Park Rd",
    "School St",
    "Elm St",
    "Washington Blvd",
    "Lincoln Ave",
    "Cedar Ln",
    "Hillside Rd",
    "River Rd",
    "Center St",
    "Highland Ave",
    "Church St",
    "Mill Rd",
)
PERSONAL_EMAIL_DOMAINS = (
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "icloud.com",
    "aol.com",
)

TEACHER_TITLES = (
    "Teacher",
    "Classroom Teacher",
    "Math Teacher",
    "Science Teacher",
    "ELA Teacher",
    "Special Education Teacher",
    "Music Teacher",
    "Art Teacher",
    "PE Teacher",
    "ESL Teacher",
    "Reading Specialist",
    "Substitute Teacher",
)
STAFF_TITLES = (
    ("Principal", "Administration"),
    ("Assistant Principal", "Administration"),
    ("School Counselor", "Counseling"),
    ("Nurse", "Health Services"),
    ("Librarian", "Library"),
    ("Media Specialist", "Library"),
    ("Secretary", "Administration"),
    ("Registrar", "Administration"),
    ("Paraprofessional", "Special Education"),
    ("Instructional Aide", "Special Education"),
    ("Speech Therapist", "Special Education"),
    ("School Psychologist", "Student Services"),
    ("Social Worker", "Student Services"),
    ("Instructional Coach", "Curriculum"),
    ("Technology Coordinator", "Technology"),
    ("Data Specialist", "Technology"),
    ("Custodian", "Operations"),
    ("Attendance Clerk", "Administration"),
)
ADMIN_TITLES = (
    "Superintendent",
    "Assistant Superintendent",
    "Director of Technology",
    "Director of Curriculum",
    "Director of Student Services",
    "Data Coordinator",
    "Chief Academic Officer",
)


@dataclass(frozen=True)
class FirstName:
    name: str
    gender: str
    tag: str
    nicknames: tuple[str, ...]


@dataclass(frozen=True)
class LastName:
    name: str
    tag: str


def _lines(block: str) -> list[list[str]]:
    out = []
    for line in block.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line.split("|"))
    return out


def _first_names() -> tuple[list[FirstName], list[int], list[int]]:
    names: list[FirstName] = []
    student_w: list[int] = []
    adult_w: list[int] = []
    seen: set[str] = set()
    for name, sw, aw, gender, tag, nicks in _lines(_FIRST_NAMES):
        names.append(FirstName(name, gender, tag, tuple(n for n in nicks.split(",") if n)))
        student_w.append(int(sw))
        adult_w.append(int(aw))
        seen.add(name)
    for pre in _MODERN_PREFIXES:
        for suffixes, gender in ((_MODERN_F, "F"), (_MODERN_M, "M")):
            for suf in suffixes:
                cand = pre + suf
                clash = pre[-1] in "aeiouy" and suf[0] in "aeiouy"
                if cand not in seen and (not clash or (pre[-1], suf[0]) == ("a", "i")):
                    seen.add(cand)
                    names.append(FirstName(cand, gender, "", ()))
                    student_w.append(5)
                    adult_w.append(0)
    return names, student_w, adult_w


def _last_names() -> tuple[list[LastName], list[int]]:
    names: list[LastName] = []
    weights: list[int] = []
    seen: set[str] = set()
    for name, w, tag in _lines(_LAST_NAMES):
        names.append(LastName(name, tag))
        weights.append(int(w))
        seen.add(name)
    # The long tail: many rare surnames, each with a small weight.
    for i, pre in enumerate(_TAIL_PREFIXES):
        for j, suf in enumerate(_TAIL_SUFFIXES):
            cand = pre + suf
            if cand not in seen:
                seen.add(cand)
                names.append(LastName(cand, ""))
                weights.append(5 if (i + j) % 3 else 3)
        for suf in _TAIL_SLAVIC:
            cand = pre + suf
            if cand not in seen:
                seen.add(cand)
                names.append(LastName(cand, ""))
                weights.append(4)
    return names, weights


FIRST_NAMES, FIRST_STUDENT_WEIGHTS, FIRST_ADULT_WEIGHTS = _first_names()
LAST_NAMES, LAST_WEIGHTS = _last_names()
FIRST_BY_NAME: dict[str, FirstName] = {f.name: f for f in FIRST_NAMES}

# Every nickname -> the given names it can stand for (for tests and reports).
NICKNAME_OF: dict[str, frozenset[str]] = {}
for _f in FIRST_NAMES:
    for _n in _f.nicknames:
        NICKNAME_OF[_n] = NICKNAME_OF.get(_n, frozenset()) | {_f.name}
